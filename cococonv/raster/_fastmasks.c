/* Optional compiled mask arithmetic (cococonv.raster._fastmasks), beside runs.py and paint.py.
 *
 * Why: index-mask PNGs (VOC's class and object masks today) are row-major while COCO RLE
 * runs down the columns, and numpy pays ~4 ns per element per pass for the reordering;
 * these loops do it in one pass each. cococonv/raster/paint.py and runs.py call them through
 * cococonv.raster.speedups and fall back to numpy and pycocotools (same pixels, checked by
 * the tests) when this module is not built. Every input is validated: bad input raises
 * ValueError and the caller takes the fallback, which reports what is wrong.
 *
 *   paint(height, width, layers, void_class, void_object[, out]) -> (class_rows, object_rows)
 *       (with out: the planes go there, and the map of the instance indices present)
 *   column_runs(classes, instances) -> (starts, values)
 *   code_rles(starts, values, height, width, codes) -> [counts string per code]
 *   ring_positions(ring, height, width) -> toggles (what paint rasterises; for the tests)
 *   ring_area(ring, height, width) -> pixels of the ring's mask (COCO's polygon area)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h> /* x86-64 always has it: 16 pixels compared per instruction */
#endif

#define VOID_INDEX 255

/* -- compressed RLE strings (pycocotools' rleFrString / rleToString alphabet) ----------- */

/* Decode one value at text[*pos]; 0 on success, -1 on a truncated or oversized value. */
static int read_value(const char *text, Py_ssize_t size, Py_ssize_t *pos, int64_t *out)
{
    uint64_t x = 0;
    int k = 0;
    for (;;) {
        if (*pos >= size || k > 12)
            return -1;
        int c = (unsigned char)text[(*pos)++] - 48;
        if (c < 0 || c > 63)
            return -1;
        x |= (uint64_t)(c & 0x1f) << (5 * k);
        k++;
        if (!(c & 0x20)) {
            if ((c & 0x10) && 5 * k < 64)
                x |= ~(uint64_t)0 << (5 * k);
            break;
        }
    }
    *out = (int64_t)x;
    return 0;
}

static Py_ssize_t write_value(char *out, int64_t x)
{
    Py_ssize_t n = 0;
    int more = 1;
    while (more) {
        int c = (int)(x & 0x1f);
        x >>= 5; /* arithmetic shift, as pycocotools (gcc and clang on every target) */
        more = (c & 0x10) ? x != -1 : x != 0;
        if (more)
            c |= 0x20;
        out[n++] = (char)(c + 48);
    }
    return n;
}

/* The characters of a str (ASCII) or bytes object. */
static int text_of(PyObject *obj, const char **text, Py_ssize_t *size)
{
    if (PyUnicode_Check(obj)) {
        if (PyUnicode_READY(obj) < 0)
            return -1;
        if (!PyUnicode_IS_ASCII(obj)) {
            PyErr_SetString(PyExc_ValueError, "RLE counts are not ASCII");
            return -1;
        }
        *text = (const char *)PyUnicode_1BYTE_DATA(obj);
        *size = PyUnicode_GET_LENGTH(obj);
        return 0;
    }
    if (PyBytes_Check(obj)) {
        *text = PyBytes_AS_STRING(obj);
        *size = PyBytes_GET_SIZE(obj);
        return 0;
    }
    PyErr_SetString(PyExc_TypeError, "RLE counts must be str or bytes");
    return -1;
}

/* One layer's boundaries, produced lazily: the layer covers the pixels between its odd
   and even boundaries (RLE starts with a run of zeros). Three sources, by which field is
   set: `toggles` (a polygon ring, rasterised up front), `counts` (a tuple of run lengths)
   or else `text` (compressed RLE counts, decoded as they are read). */
typedef struct {
    const char *text;
    Py_ssize_t size, pos;
    int64_t m, history[2], at;
    int64_t *toggles; /* a polygon ring's boundaries, sorted (then text is unused) */
    PyObject *counts; /* uncompressed counts: a tuple of ints (borrowed) */
} Decoder;

/* The next boundary into d->at: 1 when there is one, 0 when the layer has no more, -1
   (ValueError set) for malformed or out-of-range counts. */
static int next_boundary(Decoder *d, int64_t n)
{
    if (d->toggles) {
        if (d->pos >= d->size)
            return 0;
        d->at = d->toggles[d->pos++];
        return 1;
    }
    if (d->counts) {
        if (d->pos >= d->size)
            return 0;
        PyObject *item = PyTuple_GET_ITEM(d->counts, d->pos++);
        int overflow = 0;
        long long count = PyLong_Check(item) ? PyLong_AsLongLongAndOverflow(item, &overflow)
                                             : -1;
        if (PyErr_Occurred())
            return -1;
        if (overflow || count < 0 || count > n || d->at > INT64_MAX - count) {
            PyErr_SetString(PyExc_ValueError, "RLE counts must be whole numbers within the image");
            return -1;
        }
        d->at += count;
        return 1;
    }
    if (d->pos >= d->size)
        return 0;
    int64_t count;
    if (read_value(d->text, d->size, &d->pos, &count) < 0) {
        PyErr_SetString(PyExc_ValueError, "malformed compressed RLE counts");
        return -1;
    }
    if (d->m > 2) /* wraps as numpy's int64 does (a signed overflow would be UB) */
        count = (int64_t)((uint64_t)count + (uint64_t)d->history[d->m & 1]);
    d->history[d->m & 1] = count;
    d->m++;
    if (count < 0 || count > n || d->at > INT64_MAX - count) {
        PyErr_SetString(PyExc_ValueError, "compressed RLE count out of range");
        return -1;
    }
    d->at += count;
    return 1;
}

/* -- polygon rings: the pixels pycocotools' frPyObjects gives, as sorted toggles --------- */

#define SCALE 5.0
#define COORD_LIMIT 1e8 /* past this pycocotools' 32-bit arithmetic overflows: not ours */

static inline int64_t floor_div5(int64_t a) { return a >= 0 ? a / 5 : -((-a + 4) / 5); }
static inline int64_t mod5(int64_t a) { return ((a % 5) + 5) % 5; }
static inline int64_t trunc_round(double v) { return (int64_t)(v + 0.5); } /* C's (int) */

/* A ring's toggles as they are found, with each one's column (kept beside it, so that
   sorting them by column divides nothing: three 64-bit divisions per toggle were most of
   a ring's cost). */
typedef struct {
    int64_t *at;
    uint32_t *column;
    Py_ssize_t size, capacity;
} Toggles;

static int toggles_push(Toggles *t, int64_t at, uint32_t column)
{
    if (t->size == t->capacity) {
        Py_ssize_t capacity = t->capacity ? 2 * t->capacity : 256;
        int64_t *grown = realloc(t->at, (size_t)capacity * sizeof(int64_t));
        if (!grown)
            return -1;
        t->at = grown;
        uint32_t *columns = realloc(t->column, (size_t)capacity * sizeof(uint32_t));
        if (!columns)
            return -1;
        t->column = columns;
        t->capacity = capacity;
    }
    t->column[t->size] = column;
    t->at[t->size++] = at;
    return 0;
}

/* Sort the toggles' positions (in 0..h*w): by column (counting sort over the columns the
   ring spans, a column holds a few), then by row within each column (insertion sort);
   several times faster than qsort here. */
static int sort_positions(Toggles *t)
{
    Py_ssize_t size = t->size;
    if (size < 2)
        return 0;
    const uint32_t *column = t->column;
    int64_t *at = t->at;
    uint32_t first = column[0], last = first;
    for (Py_ssize_t i = 1; i < size; i++) {
        uint32_t c = column[i];
        first = c < first ? c : first;
        last = c > last ? c : last;
    }
    size_t span = (size_t)(last - first) + 1; /* a small object's few columns, not the image's */
    Py_ssize_t *starts = calloc(span + 1, sizeof(Py_ssize_t));
    int64_t *sorted = malloc(sizeof(int64_t) * (size_t)size);
    if (!starts || !sorted) {
        free(starts);
        free(sorted);
        return -1;
    }
    for (Py_ssize_t i = 0; i < size; i++)
        starts[column[i] - first + 1]++;
    for (size_t c = 0; c < span; c++)
        starts[c + 1] += starts[c];
    for (Py_ssize_t i = 0; i < size; i++)
        sorted[starts[column[i] - first]++] = at[i];
    for (Py_ssize_t i = 1; i < size; i++) {
        int64_t v = sorted[i];
        Py_ssize_t j = i;
        while (j > 0 && sorted[j - 1] > v) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = v;
    }
    memcpy(at, sorted, sizeof(int64_t) * (size_t)size);
    free(starts);
    free(sorted);
    return 0;
}

/* For an edge walked along y (one step of t per row, column u = round(xs + s t)): the
   first step t at which u has passed `level` (rising edges: reached level + 1; falling
   ones: come down to level). Found from the real-valued estimate, then settled exactly,
   since the estimate may be a step off either way in floating point. */
static int64_t crossing_step(int64_t xs, double s, int64_t level)
{
    int rising = s > 0;
    int64_t target = rising ? level + 1 : level;
    double estimate = ceil(((double)level + 0.5 - (double)xs) / s);
    int64_t guess = isfinite(estimate) ? (int64_t)estimate : 0;
    for (int round = 0; round < 3; round++) {
        int64_t before = guess;
        int64_t u = trunc_round((double)xs + s * (double)(guess - 1));
        if (rising ? u >= target : u <= target)
            guess--;
        u = trunc_round((double)xs + s * (double)guess);
        if (!(rising ? u >= target : u <= target))
            guess++;
        if (guess == before)
            break; /* settled: the next rounds would test the same two steps */
    }
    return guess;
}

/* A ring's toggles: where its mask switches on or off, in column-major pixel positions
   (0..h*w), sorted; equal positions cancel in pairs. pycocotools scales the vertices by 5,
   walks each edge point by point along its major axis and keeps the steps that cross a
   pixel column's centre (u from 5m + 2 to 5m + 3); here only those steps are computed. */
static int ring_toggles(PyObject *ring, int64_t h, int64_t w, Decoder *d)
{
    PyObject *seq = PySequence_Fast(ring, "a ring must be a list of numbers");
    if (!seq)
        return -1;
    Py_ssize_t size = PySequence_Fast_GET_SIZE(seq), k = size / 2;
    int64_t *xy = NULL;
    Toggles found = {NULL, NULL, 0, 0};
    int status = -1;
    if (size < 6 || size % 2 || h <= 0 || w <= 0 || h * w >= ((int64_t)1 << 31)) {
        PyErr_SetString(PyExc_ValueError, "ring or image size not handled here");
        goto done;
    }
    xy = malloc(sizeof(int64_t) * (size_t)size);
    if (!xy) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < size; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyFloat_Check(item) && !PyLong_Check(item)) {
            PyErr_SetString(PyExc_ValueError, "ring coordinates must be numbers");
            goto done;
        }
        double v = PyFloat_AsDouble(item);
        if (v == -1.0 && PyErr_Occurred())
            goto done;
        if (!isfinite(v) || fabs(v) > COORD_LIMIT) {
            PyErr_SetString(PyExc_ValueError, "ring coordinates must be finite, within 1e8");
            goto done;
        }
        xy[i] = trunc_round(SCALE * v);
    }
    for (Py_ssize_t j = 0; j < k; j++) {
        Py_ssize_t next = j + 1 < k ? j + 1 : 0;
        int64_t x0 = xy[2 * j], y0 = xy[2 * j + 1], x1 = xy[2 * next], y1 = xy[2 * next + 1];
        int64_t dx = x1 > x0 ? x1 - x0 : x0 - x1, dy = y1 > y0 ? y1 - y0 : y0 - y1;
        int along_x = dx >= dy;
        int flip = along_x ? x0 > x1 : y0 > y1;
        int64_t xs = flip ? x1 : x0, xe = flip ? x0 : x1;
        int64_t ys = flip ? y1 : y0, ye = flip ? y0 : y1;
        along_x = along_x && dx > 0; /* a single point crosses no column */
        double s = along_x ? (double)(ye - ys) / (double)dx
                           : (double)(xe - xs) / (double)(dy ? dy : 1);
        int64_t lo = xs < xe ? xs : xe, hi = xs < xe ? xe : xs;
        int64_t first = lo + mod5(2 - lo);
        int64_t levels = floor_div5(hi - first + 4);
        for (int64_t step = 0; step < levels; step++) {
            int64_t level = first + 5 * step, column = (level - 2) / 5;
            if (column < 0 || column > w - 1)
                continue;
            int64_t lower;
            if (along_x) {
                int64_t t = level - xs;
                int64_t v0 = trunc_round((double)ys + s * (double)t);
                int64_t v1 = trunc_round((double)ys + s * (double)(t + 1));
                lower = v0 < v1 ? v0 : v1;
            } else {
                lower = ys + crossing_step(xs, s, level) - 1;
            }
            double yd = ((double)lower + 0.5) / SCALE - 0.5;
            yd = yd < 0 ? 0 : (yd > (double)h ? (double)h : yd);
            /* ceil of a value in 0..h, exactly (libm's ceil is a call without SSE4.1) */
            int64_t row = (int64_t)yd;
            row += (double)row < yd;
            if (toggles_push(&found, column * h + row, (uint32_t)column) < 0) {
                PyErr_NoMemory();
                goto done;
            }
        }
    }
    if (found.size && sort_positions(&found) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    d->toggles = found.at ? found.at : malloc(sizeof(int64_t));
    if (!d->toggles) {
        PyErr_NoMemory();
        goto done;
    }
    found.at = NULL;
    d->size = found.size;
    d->pos = 0;
    status = 0;
done:
    Py_DECREF(seq);
    free(xy);
    free(found.at);
    free(found.column);
    return status;
}

static PyObject *ring_positions(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *ring;
    Py_ssize_t h, w;
    if (!PyArg_ParseTuple(args, "Onn", &ring, &h, &w))
        return NULL;
    Decoder d = {0};
    if (ring_toggles(ring, h, w, &d) < 0)
        return NULL;
    PyObject *out = PyBytes_FromStringAndSize((const char *)d.toggles,
                                              d.size * (Py_ssize_t)sizeof(int64_t));
    free(d.toggles);
    return out;
}

/* Whether the ring is cheap to rasterise here: coordinates within 2^26 (as masks.py asks
   of pycocotools' walk) and at most 2^22 column crossings (ring_toggles' work and memory:
   one toggle per column an edge crosses). */
static int few_crossings(PyObject *ring)
{
    PyObject *seq = PySequence_Fast(ring, "a ring must be a list of numbers");
    if (!seq)
        return -1;
    Py_ssize_t size = PySequence_Fast_GET_SIZE(seq);
    const double bound = (double)((int64_t)1 << 26);
    double crossings = 0, first = 0, last = 0;
    int ok = size >= 6 && size % 2 == 0;
    for (Py_ssize_t i = 0; ok && i < size; i++) {
        double v = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
        if (v == -1.0 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
        if (!isfinite(v) || v < -bound || v > bound) {
            ok = 0;
        } else if (i % 2 == 0) {
            if (i)
                crossings += fabs(v - last) + 1;
            else
                first = v;
            last = v;
        }
    }
    Py_DECREF(seq);
    crossings += fabs(first - last) + 1;
    return ok && crossings <= (double)((int64_t)1 << 22);
}

/* The pixel count of the ring's mask: the sorted toggles pair up into the runs of ones
   (equal positions cancel, and an odd last toggle runs to the end of the image), which
   is what pycocotools' area of frPyObjects' RLE counts. */
static PyObject *ring_area(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *ring;
    Py_ssize_t h, w;
    if (!PyArg_ParseTuple(args, "Onn", &ring, &h, &w))
        return NULL;
    if (h <= 0 || w <= 0) {
        PyErr_SetString(PyExc_ValueError, "ring or image size not handled here");
        return NULL;
    }
    int cheap = few_crossings(ring);
    if (cheap <= 0) {
        if (cheap == 0)
            PyErr_SetString(PyExc_ValueError, "ring not handled here (too long or bad)");
        return NULL;
    }
    Decoder d = {0};
    if (ring_toggles(ring, h, w, &d) < 0)
        return NULL;
    int64_t area = 0;
    for (Py_ssize_t i = 0; i + 1 < d.size; i += 2)
        area += d.toggles[i + 1] - d.toggles[i];
    if (d.size % 2)
        area += (int64_t)h * w - d.toggles[d.size - 1];
    free(d.toggles);
    return PyLong_FromLongLong(area);
}

typedef struct {
    int64_t at;
    Py_ssize_t layer;
} Event;

static void heap_down(Event *heap, Py_ssize_t size, Py_ssize_t i)
{
    for (;;) {
        Py_ssize_t low = i, left = 2 * i + 1, right = left + 1;
        if (left < size && (heap[left].at < heap[low].at ||
                            (heap[left].at == heap[low].at && heap[left].layer < heap[low].layer)))
            low = left;
        if (right < size && (heap[right].at < heap[low].at ||
                             (heap[right].at == heap[low].at && heap[right].layer < heap[low].layer)))
            low = right;
        if (low == i)
            return;
        Event swap = heap[i];
        heap[i] = heap[low];
        heap[low] = swap;
        i = low;
    }
}

/* PNG scanlines from the vertical changes: a pixel is the XOR of the changes at and above
   it, so the changes are written where they happen and summed down the rows, 8 bytes at
   a time. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
/* 32 bytes a step where the CPU has AVX2 (chosen by the loader), 16 elsewhere */
__attribute__((target_clones("avx2", "default")))
#endif
#endif
static void xor_down(uint8_t *rows, Py_ssize_t h, Py_ssize_t stride)
{
    for (Py_ssize_t y = 1; y < h; y++) {
        const uint8_t *restrict above = rows + (y - 1) * stride;
        uint8_t *restrict row = rows + y * stride;
        for (Py_ssize_t x = 0; x < stride; x++) /* vectorised by the compiler */
            row[x] ^= above[x];
    }
}

/* The pixel value (instance << 8 | class) under the current coverage. */
static inline int value_of(Py_ssize_t top, const int *classes, const int *instances,
                           int void_class, int void_object)
{
    int cls = top >= 0 ? classes[top] : 0;
    int inst = top >= 0 ? instances[top] : 0;
    if (void_class)
        cls = VOID_INDEX;
    if (void_object)
        inst = VOID_INDEX;
    return inst << 8 | cls;
}

static PyObject *paint(PyObject *self, PyObject *args)
{
    (void)self;
    Py_ssize_t h, w;
    PyObject *layers, *void_class, *void_object, *out = Py_None;
    if (!PyArg_ParseTuple(args, "nnOOO|O", &h, &w, &layers, &void_class, &void_object, &out))
        return NULL;
    /* also for w == 0: the byte counts below are 2 * h * (w + 1) */
    if (h < 0 || w < 0 || w >= PY_SSIZE_T_MAX / 4 || h > PY_SSIZE_T_MAX / 4 / (w + 1)) {
        PyErr_SetString(PyExc_ValueError, "bad mask size");
        return NULL;
    }
    Py_buffer out_view;
    int out_held = 0;
    if (out != Py_None) {
        if (PyObject_GetBuffer(out, &out_view, PyBUF_WRITABLE | PyBUF_SIMPLE) < 0)
            return NULL;
        out_held = 1;
        if (out_view.len < 2 * h * (w + 1)) {
            PyBuffer_Release(&out_view);
            PyErr_SetString(PyExc_ValueError, "out is smaller than the two planes");
            return NULL;
        }
    }
    /* a tuple of our own: the layers' strings stay alive (and the list the same length)
       while PyArg_ParseTuple may run Python code (__index__) */
    PyObject *seq = PySequence_Tuple(layers);
    if (!seq) {
        if (out_held)
            PyBuffer_Release(&out_view);
        return NULL;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(seq);
    int64_t n = (int64_t)h * w;
    Py_ssize_t stride = w + 1;
    PyObject *result = NULL, *class_rows = NULL, *object_rows = NULL;
    /* decoders 0..count-1 are the layers, count the void class, count + 1 the void object */
    Decoder *decoders = calloc((size_t)count + 2, sizeof(Decoder));
    Event *heap = calloc((size_t)count + 2, sizeof(Event));
    int *classes = calloc((size_t)count + 1, sizeof(int));
    int *instances = calloc((size_t)count + 1, sizeof(int));
    char *covered = calloc((size_t)count + 2, 1);
    if (!decoders || !heap || !classes || !instances || !covered) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < count + 2; k++) {
        PyObject *counts;
        if (k < count) {
            int cls, inst;
            PyObject *layer = PyTuple_GET_ITEM(seq, k);
            if (!PyTuple_Check(layer)) { /* PyArg_ParseTuple would raise SystemError */
                PyErr_SetString(PyExc_TypeError, "layers must be (counts, class, instance)");
                goto done;
            }
            if (!PyArg_ParseTuple(layer, "Oii", &counts, &cls, &inst))
                goto done;
            if (cls < 0 || cls > 255 || inst < 0 || inst > 255) {
                PyErr_SetString(PyExc_ValueError, "class and instance indices must be 0-255");
                goto done;
            }
            classes[k] = cls;
            instances[k] = inst;
        } else {
            counts = k == count ? void_class : void_object;
            if (counts == Py_None)
                continue;
        }
        if (PyList_Check(counts)) { /* a polygon ring */
            if (ring_toggles(counts, h, w, &decoders[k]) < 0)
                goto done;
        } else if (PyTuple_Check(counts)) { /* uncompressed counts */
            decoders[k].counts = counts;
            decoders[k].size = PyTuple_GET_SIZE(counts);
        } else if (text_of(counts, &decoders[k].text, &decoders[k].size) < 0) {
            goto done;
        }
    }
    uint8_t *cls_out, *inst_out;
    if (out_held) {
        cls_out = (uint8_t *)out_view.buf;
        inst_out = cls_out + h * stride;
    } else {
        class_rows = PyBytes_FromStringAndSize(NULL, h * stride);
        object_rows = PyBytes_FromStringAndSize(NULL, h * stride);
        if (!class_rows || !object_rows)
            goto done;
        cls_out = (uint8_t *)PyBytes_AS_STRING(class_rows);
        inst_out = (uint8_t *)PyBytes_AS_STRING(object_rows);
    }
    memset(cls_out, 0, (size_t)(h * stride));
    memset(inst_out, 0, (size_t)(h * stride));
    Py_ssize_t size = 0;
    for (Py_ssize_t k = 0; k < count + 2; k++) {
        int more = next_boundary(&decoders[k], n);
        if (more < 0)
            goto done;
        if (more) {
            heap[size].at = decoders[k].at;
            heap[size].layer = k;
            size++;
        }
    }
    for (Py_ssize_t i = size / 2; i-- > 0;)
        heap_down(heap, size, i);
    /* Sweep the boundaries in RLE (column-major) order; between two of them the pixels
       are one value, so a change is written only at a boundary or a column's top. */
    Py_ssize_t top = -1;
    int value = 0;
    int64_t next_top = 0; /* the next column top not yet written */
    /* the instance indices with a pixel: each boundary starts a run of its value (those
       at one position are taken together), and the pixels before the first are 0 */
    uint8_t present[256] = {0};
    if (n > 0 && (!size || heap[0].at > 0))
        present[0] = 1;
    for (;;) {
        int64_t at = size ? heap[0].at : n;
        if (at > n)
            at = n;
        for (; next_top < at; next_top += h) {
            if (value) {
                Py_ssize_t x = (Py_ssize_t)(next_top / h);
                cls_out[x + 1] = (uint8_t)(value & 0xff);
                inst_out[x + 1] = (uint8_t)(value >> 8);
            }
        }
        if (at >= n)
            break;
        while (size && heap[0].at == at) { /* every toggle at this pixel */
            Py_ssize_t k = heap[0].layer;
            covered[k] ^= 1;
            if (k < count) {
                if (covered[k] && k > top)
                    top = k;
                else if (!covered[k] && k == top)
                    while (top >= 0 && !covered[top])
                        top--;
            }
            int more = next_boundary(&decoders[k], n);
            if (more < 0)
                goto done;
            if (more)
                heap[0].at = decoders[k].at;
            else
                heap[0] = heap[--size];
            heap_down(heap, size, 0);
        }
        int now = value_of(top, classes, instances, covered[count], covered[count + 1]);
        present[now >> 8] = 1;
        Py_ssize_t x = (Py_ssize_t)(at / h), y = (Py_ssize_t)(at % h);
        int change = y == 0 ? now : now ^ value;
        if (y == 0)
            next_top = at + h;
        if (change) {
            cls_out[y * stride + x + 1] = (uint8_t)(change & 0xff);
            inst_out[y * stride + x + 1] = (uint8_t)(change >> 8);
        }
        value = now;
    }
    /* The rest of each string is past the image, but the numpy path decodes all of it
       (a negative count there moves a boundary back in), so it must be valid too. */
    for (Py_ssize_t k = 0; k < count + 2; k++) {
        int more;
        while ((more = next_boundary(&decoders[k], n)) > 0)
            ;
        if (more < 0)
            goto done;
    }
    xor_down(cls_out, h, stride);
    xor_down(inst_out, h, stride);
    if (out_held) {
        result = PyBytes_FromStringAndSize((const char *)present, 256);
    } else {
        result = PyTuple_Pack(2, class_rows, object_rows);
    }
done:
    if (out_held)
        PyBuffer_Release(&out_view);
    if (decoders)
        for (Py_ssize_t k = 0; k < count + 2; k++)
            free(decoders[k].toggles);
    free(decoders);
    free(heap);
    free(classes);
    free(instances);
    free(covered);
    Py_XDECREF(class_rows);
    Py_XDECREF(object_rows);
    Py_DECREF(seq);
    return result;
}

/* -- runs of a row-major picture, in column-major order --------------------------------- */

static int plane_of(PyObject *obj, Py_buffer *view, Py_ssize_t *h, Py_ssize_t *w)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_STRIDED_RO) < 0)
        return -1;
    if (view->ndim != 2 || view->itemsize != 1 || view->strides[1] != 1 ||
        view->strides[0] < view->shape[1]) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, "expected a 2-D uint8 plane with rows of pixels");
        return -1;
    }
    *h = view->shape[0];
    *w = view->shape[1];
    return 0;
}

static inline uint64_t load8(const uint8_t *p, Py_ssize_t count)
{
    uint64_t word = 0;
    if (count == 8)
        memcpy(&word, p, 8); /* one load */
    else
        memcpy(&word, p, (size_t)count);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    /* pixel j in byte j from the bottom, as the ctz below assumes (else j can pass w) */
    word = __builtin_bswap64(word);
#endif
    return word;
}

/* The changes of one row against the row above (every pixel of the first row), as
   (column, code) in row-major order; the row of each is kept as where its row begins
   (64-bit columns and no per-change row: a .npy mask can be wider or taller than 2**31,
   and int32 columns then indexed out of bounds). */
typedef struct {
    int64_t *xs;
    uint16_t *codes;
    Py_ssize_t size, capacity;
} Changes;

static int changes_push(Changes *c, Py_ssize_t x, uint16_t code)
{
    if (c->size == c->capacity) {
        Py_ssize_t capacity = c->capacity ? c->capacity * 2 : 8192;
        int64_t *xs = realloc(c->xs, (size_t)capacity * sizeof(int64_t));
        if (xs)
            c->xs = xs;
        uint16_t *codes = xs ? realloc(c->codes, (size_t)capacity * sizeof(uint16_t)) : NULL;
        if (!codes)
            return -1;
        c->codes = codes;
        c->capacity = capacity;
    }
    c->xs[c->size] = x;
    c->codes[c->size] = code;
    c->size++;
    return 0;
}

static inline uint16_t code_at(const uint8_t *const *rows, Py_ssize_t x)
{
    return (uint16_t)((rows[1] ? rows[1][x] : 0) << 8 | (rows[0] ? rows[0][x] : 0));
}

/* A bit per pixel x0..x0+63 (bit j for pixel x0 + j) that differs from the pixel above
   in either plane: a row of a mask is mostly as the row above, so the scan then visits
   only its changes. */
static inline uint64_t changed64(const uint8_t *const *now, const uint8_t *const *above,
                                 Py_ssize_t x0)
{
    uint64_t bits = 0;
    for (int p = 0; p < 2; p++) {
        if (!now[p])
            continue;
        const uint8_t *a = now[p] + x0, *b = above[p] + x0;
#if defined(__SSE2__)
        for (int k = 0; k < 64; k += 16) {
            __m128i u = _mm_loadu_si128((const __m128i *)(const void *)(a + k));
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + k));
            uint64_t same = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(u, v));
            bits |= (~same & 0xffff) << k;
        }
#else
        for (int k = 0; k < 64; k += 8) {
            uint64_t diff = load8(a + k, 8) ^ load8(b + k, 8);
            while (diff) {
                int j = __builtin_ctzll(diff) >> 3;
                diff &= ~((uint64_t)0xff << (8 * j));
                bits |= (uint64_t)1 << (k + j);
            }
        }
#endif
    }
    return bits;
}

static PyObject *column_runs(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *objs[2];
    if (!PyArg_ParseTuple(args, "OO", &objs[0], &objs[1]))
        return NULL;
    Py_buffer views[2];
    const uint8_t *bases[2] = {NULL, NULL};
    Py_ssize_t strides[2] = {0, 0};
    int held[2] = {0, 0};
    Py_ssize_t h = -1, w = -1;
    PyObject *result = NULL;
    Changes changes = {NULL, NULL, 0, 0};
    Py_ssize_t *firsts = NULL, *row_starts = NULL;
    int64_t *starts = NULL, *values = NULL;
    for (int p = 0; p < 2; p++) {
        if (objs[p] == Py_None)
            continue;
        Py_ssize_t ph, pw;
        if (plane_of(objs[p], &views[p], &ph, &pw) < 0)
            goto done;
        held[p] = 1;
        if (h >= 0 && (ph != h || pw != w)) {
            PyErr_SetString(PyExc_ValueError, "the two planes differ in size");
            goto done;
        }
        h = ph;
        w = pw;
        bases[p] = (const uint8_t *)views[p].buf;
        strides[p] = views[p].strides[0];
    }
    if (h < 0) {
        PyErr_SetString(PyExc_ValueError, "no plane given");
        goto done;
    }
    if (!w)
        h = 0; /* no pixels (and no row_starts for a huge height) */
    row_starts = malloc(sizeof(Py_ssize_t) * ((size_t)h + 1));
    if (!row_starts)
        goto nomemory;
    /* one linear pass over the rows, 8 pixels at a time */
    for (Py_ssize_t y = 0; y < h; y++) {
        const uint8_t *now[2], *above[2];
        row_starts[y] = changes.size;
        for (int p = 0; p < 2; p++) {
            now[p] = bases[p] ? bases[p] + y * strides[p] : NULL;
            above[p] = bases[p] && y ? now[p] - strides[p] : NULL;
        }
        if (y == 0) {
            for (Py_ssize_t x = 0; x < w; x++)
                if (changes_push(&changes, x, code_at(now, x)) < 0)
                    goto nomemory;
            continue;
        }
        Py_ssize_t x0 = 0;
        for (; x0 + 64 <= w; x0 += 64) {
            uint64_t changed = changed64(now, above, x0);
            while (changed) {
                Py_ssize_t x = x0 + __builtin_ctzll(changed);
                changed &= changed - 1;
                if (changes_push(&changes, x, code_at(now, x)) < 0)
                    goto nomemory;
            }
        }
        for (; x0 < w; x0++) { /* the last w % 64 pixels */
            int differs = 0;
            for (int p = 0; p < 2; p++)
                differs |= bases[p] && now[p][x0] != above[p][x0];
            if (differs && changes_push(&changes, x0, code_at(now, x0)) < 0)
                goto nomemory;
        }
    }
    row_starts[h] = changes.size;
    /* counting sort by column (stable, so rows stay in order): RLE order */
    firsts = calloc((size_t)w + 1, sizeof(Py_ssize_t));
    starts = malloc(sizeof(int64_t) * (size_t)(changes.size + 1));
    values = malloc(sizeof(int64_t) * (size_t)(changes.size + 1));
    if (!firsts || !starts || !values)
        goto nomemory;
    for (Py_ssize_t i = 0; i < changes.size; i++)
        firsts[changes.xs[i] + 1]++;
    for (Py_ssize_t x = 0; x < w; x++)
        firsts[x + 1] += firsts[x];
    for (Py_ssize_t y = 0; y < h; y++) {
        for (Py_ssize_t i = row_starts[y]; i < row_starts[y + 1]; i++) {
            Py_ssize_t slot = firsts[changes.xs[i]]++;
            starts[slot] = changes.xs[i] * h + y;
            values[slot] = changes.codes[i];
        }
    }
    /* a column top with the value of the run above it continues that run */
    Py_ssize_t kept = 0;
    for (Py_ssize_t i = 0; i < changes.size; i++) {
        if (kept && values[i] == values[kept - 1])
            continue;
        starts[kept] = starts[i];
        values[kept] = values[i];
        kept++;
    }
    PyObject *start_bytes = PyBytes_FromStringAndSize((const char *)starts,
                                                      kept * (Py_ssize_t)sizeof(int64_t));
    PyObject *value_bytes = PyBytes_FromStringAndSize((const char *)values,
                                                      kept * (Py_ssize_t)sizeof(int64_t));
    if (start_bytes && value_bytes)
        result = PyTuple_Pack(2, start_bytes, value_bytes);
    Py_XDECREF(start_bytes);
    Py_XDECREF(value_bytes);
    goto done;
nomemory:
    PyErr_NoMemory();
done:
    for (int p = 0; p < 2; p++)
        if (held[p])
            PyBuffer_Release(&views[p]);
    free(changes.xs);
    free(row_starts);
    free(changes.codes);
    free(firsts);
    free(starts);
    free(values);
    return result;
}

/* -- RLE strings of exact codes --------------------------------------------------------- */

static PyObject *ascii_string(const char *text, Py_ssize_t size)
{
    PyObject *out = PyUnicode_New(size, 127);
    if (out)
        memcpy(PyUnicode_1BYTE_DATA(out), text, (size_t)size);
    return out;
}

static Py_ssize_t find_code(const int64_t *codes, Py_ssize_t count, int64_t value)
{
    Py_ssize_t lo = 0, hi = count;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (codes[mid] < value)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < count && codes[lo] == value ? lo : -1;
}

static PyObject *code_rles(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer starts_view, values_view;
    Py_ssize_t h, w;
    PyObject *code_list;
    if (!PyArg_ParseTuple(args, "y*y*nnO", &starts_view, &values_view, &h, &w, &code_list))
        return NULL;
    PyObject *result = NULL, *seq = NULL;
    int64_t *codes = NULL;
    Py_ssize_t *offsets = NULL, *order = NULL;
    char *text = NULL;
    Py_ssize_t runs = starts_view.len / (Py_ssize_t)sizeof(int64_t);
    const int64_t *starts = starts_view.buf, *values = values_view.buf;
    if (values_view.len != starts_view.len) {
        PyErr_SetString(PyExc_ValueError, "starts and values differ in length");
        goto done;
    }
    if (h < 0 || w < 0 || (w && h > INT64_MAX / w)) { /* h * w must not overflow */
        PyErr_SetString(PyExc_ValueError, "bad mask size");
        goto done;
    }
    if ((uintptr_t)starts % _Alignof(int64_t) || (uintptr_t)values % _Alignof(int64_t) ||
        starts_view.len % (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError, "starts and values must be aligned int64 buffers");
        goto done;
    }
    int64_t total = (int64_t)h * w;
    /* a tuple of our own: PyLong_AsLongLong may run __index__, which could shrink a list */
    seq = PySequence_Tuple(code_list);
    if (!seq)
        goto done;
    Py_ssize_t count = PyTuple_GET_SIZE(seq);
    codes = malloc(sizeof(int64_t) * (size_t)(count + 1));
    offsets = calloc((size_t)count + 2, sizeof(Py_ssize_t));
    order = malloc(sizeof(Py_ssize_t) * (size_t)(runs + 1));
    if (!codes || !offsets || !order) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        codes[k] = PyLong_AsLongLong(PyTuple_GET_ITEM(seq, k));
        if (codes[k] == -1 && PyErr_Occurred())
            goto done;
        if (k && codes[k] <= codes[k - 1]) {
            PyErr_SetString(PyExc_ValueError, "codes must be sorted and unique");
            goto done;
        }
    }
    for (Py_ssize_t r = 0; r < runs; r++) {
        if (starts[r] < 0 || starts[r] >= total || (r && starts[r] <= starts[r - 1])) {
            PyErr_SetString(PyExc_ValueError, "run starts must rise within the image");
            goto done;
        }
        Py_ssize_t slot = find_code(codes, count, values[r]);
        if (slot >= 0)
            offsets[slot + 2]++;
    }
    for (Py_ssize_t k = 0; k < count; k++)
        offsets[k + 2] += offsets[k + 1];
    for (Py_ssize_t r = 0; r < runs; r++) {
        Py_ssize_t slot = find_code(codes, count, values[r]);
        if (slot >= 0)
            order[offsets[slot + 1]++] = r;
    }
    /* offsets[k] .. offsets[k + 1] now index code k's runs in `order` */
    Py_ssize_t longest = 0;
    for (Py_ssize_t k = 0; k < count; k++)
        if (offsets[k + 1] - offsets[k] > longest)
            longest = offsets[k + 1] - offsets[k];
    text = malloc((size_t)(2 * longest + 2) * 13 + 1);
    result = PyList_New(count);
    if (!text || !result) {
        if (!text)
            PyErr_NoMemory();
        Py_CLEAR(result);
        goto done;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        Py_ssize_t size = 0, m = 0;
        int64_t at = 0, history[2] = {0, 0};
        for (Py_ssize_t i = offsets[k]; i <= offsets[k + 1]; i++) {
            /* a run of zeros up to the run's start, then its ones; the tail of zeros last */
            int64_t bounds[2];
            int parts;
            if (i < offsets[k + 1]) {
                Py_ssize_t r = order[i];
                int64_t end = r + 1 < runs ? starts[r + 1] : total;
                bounds[0] = starts[r];
                bounds[1] = end;
                parts = 2;
            } else {
                if (at == total && m)
                    break; /* no empty final run (as pycocotools encodes) */
                bounds[0] = total;
                parts = 1;
            }
            for (int part = 0; part < parts; part++) {
                int64_t value = bounds[part] - at;
                at = bounds[part];
                int64_t delta = m > 2 ? value - history[m & 1] : value;
                history[m & 1] = value;
                size += write_value(text + size, delta);
                m++;
            }
        }
        PyObject *string = ascii_string(text, size);
        if (!string) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, k, string);
    }
done:
    PyBuffer_Release(&starts_view);
    PyBuffer_Release(&values_view);
    Py_XDECREF(seq);
    free(codes);
    free(offsets);
    free(order);
    free(text);
    return result;
}

static PyMethodDef methods[] = {
    {"paint", paint, METH_VARARGS,
     "paint(height, width, layers, void_class, void_object[, out]) -> (class_rows, object_rows)\n"
     "PNG scanlines of the class and object planes; layers are (counts, class, instance)\n"
     "in painting order (later on top); counts are compressed RLE strings, tuples of\n"
     "run lengths, or lists of polygon ring coordinates (rasterised as pycocotools\n"
     "does). With a writable\n"
     "buffer `out` (2 * height * (width + 1) bytes) the planes go there, one after the\n"
     "other, and a 256-byte map is returned: byte i is 1 when the object plane holds\n"
     "instance index i."},
    {"ring_positions", ring_positions, METH_VARARGS,
     "ring_positions(ring, height, width) -> int64 bytes: the sorted column-major positions\n"
     "where the polygon ring's mask (as pycocotools rasterises it) toggles."},
    {"ring_area", ring_area, METH_VARARGS,
     "ring_area(ring, height, width) -> int: the pixels of the ring's mask as pycocotools\n"
     "rasterises it (ValueError for a ring of too many column crossings, or bad input)."},
    {"column_runs", column_runs, METH_VARARGS,
     "column_runs(classes, instances) -> (starts, values) as int64 bytes: the runs of\n"
     "instance * 256 + class in column-major order (either plane may be None)."},
    {"code_rles", code_rles, METH_VARARGS,
     "code_rles(starts, values, height, width, codes) -> compressed RLE counts string of\n"
     "each code's runs (codes sorted and unique)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastmasks",
                                    "Compiled helpers for VOC mask PNGs.", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fastmasks(void)
{
    return PyModule_Create(&module);
}
