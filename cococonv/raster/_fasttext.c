/* Optional compiled YOLO coordinate text (cococonv.raster._fasttext), for
 * cococonv_plugins/yolo/shapes.py.
 *
 * Why: a coco -> yolo run writes every polygon vertex as a fraction of the image with 10
 * decimals and no trailing zeros; in Python the division, the clipping and the zero
 * stripping were most of the run (millions of values). A value in 0..1 is formatted from
 * its product with 1e10 when that rounds unambiguously, any other by PyOS_double_to_string
 * (the routine behind Python's "%.10f"), so the text is the Python path's to the byte
 * (checked by tests/plugins/test_yolo_text.py). Bad input raises
 * ValueError and the caller takes the Python path.
 *
 *   fractions(points, width, height) -> (text, clipped)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* "%.10f" of a value in 0..1 from v * 1e10 rounded, when that product (within 2^-20 of
   the exact one: below 2^34, it is off by at most half its ulp) is not near a half, so
   the rounding cannot differ from the exact decimal one; 0 when it is near (a tie of a
   dyadic fraction, say), and the caller asks PyOS_double_to_string. */
static int fixed10(double v, char *out)
{
    double q = v * 1e10, whole = floor(q), frac = q - whole;
    if (fabs(frac - 0.5) < 1e-4)
        return 0;
    int64_t n = (int64_t)whole + (frac > 0.5);
    out[0] = (char)('0' + n / 10000000000LL);
    out[1] = '.';
    n %= 10000000000LL;
    for (int k = 11; k >= 2; k--) {
        out[k] = (char)('0' + n % 10);
        n /= 10;
    }
    out[12] = 0;
    return 1;
}

/* Append one value as shapes.fmt writes it: "%.10f", trailing zeros and a bare point
   dropped, "-0" written "0". */
static int append_value(char **buf, Py_ssize_t *len, Py_ssize_t *cap, double v)
{
    char quick[16];
    char *text = v >= 0 && v <= 1 && fixed10(v, quick) ? quick
                                                       : PyOS_double_to_string(v, 'f', 10, 0, NULL);
    if (!text)
        return -1;
    Py_ssize_t n = (Py_ssize_t)strlen(text);
    if (memchr(text, '.', (size_t)n)) {
        while (n > 0 && text[n - 1] == '0')
            n--;
        if (n > 0 && text[n - 1] == '.')
            n--;
    }
    const char *start = text;
    if (n == 0 || (n == 2 && text[0] == '-' && text[1] == '0')) {
        start = "0";
        n = 1;
    }
    if (*len + n + 1 > *cap) {
        Py_ssize_t grown = (*cap + n + 1) * 2;
        char *bigger = PyMem_Realloc(*buf, (size_t)grown);
        if (!bigger) {
            if (text != quick)
                PyMem_Free(text);
            PyErr_NoMemory();
            return -1;
        }
        *buf = bigger;
        *cap = grown;
    }
    if (*len)
        (*buf)[(*len)++] = ' ';
    memcpy(*buf + *len, start, (size_t)n);
    *len += n;
    if (text != quick)
        PyMem_Free(text);
    return 0;
}

static PyObject *fractions(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *points;
    double width, height;
    if (!PyArg_ParseTuple(args, "Odd", &points, &width, &height))
        return NULL;
    if (!(width > 0) || !(height > 0)) {
        PyErr_SetString(PyExc_ValueError, "the image size must be positive");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(points, "points must be a list of numbers");
    if (!seq)
        return NULL;
    Py_ssize_t size = PySequence_Fast_GET_SIZE(seq);
    double *values = PyMem_Malloc(sizeof(double) * (size_t)(size ? size : 1));
    char *buf = NULL;
    PyObject *result = NULL;
    if (!values) {
        PyErr_NoMemory();
        goto done;
    }
    int clipped = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyFloat_Check(item) && !PyLong_Check(item)) {
            PyErr_SetString(PyExc_ValueError, "points must be numbers");
            goto done;
        }
        double v = PyFloat_AsDouble(item);
        if (v == -1.0 && PyErr_Occurred())
            goto done;
        v /= i % 2 ? height : width;
        if (!isfinite(v)) {
            PyErr_SetString(PyExc_ValueError, "points must be finite");
            goto done;
        }
        if (v < 0 || v > 1)
            clipped = 1;
        values[i] = v;
    }
    Py_ssize_t len = 0, cap = 16 * size + 16;
    buf = PyMem_Malloc((size_t)cap);
    if (!buf) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < size; i++) {
        double v = values[i];
        if (clipped)
            v = (v < 0 ? 0.0 : (v > 1 ? 1.0 : v)) + 0.0; /* +0.0: no "-0" */
        if (append_value(&buf, &len, &cap, v) < 0)
            goto done;
    }
    PyObject *text = PyUnicode_DecodeASCII(buf, len, NULL);
    if (text) {
        result = Py_BuildValue("(NO)", text, clipped ? Py_True : Py_False);
    }
done:
    Py_DECREF(seq);
    PyMem_Free(values);
    PyMem_Free(buf);
    return result;
}

/* The YOLO line ranges of plugins/yolo/lines.py (LOW, HIGH, MAX_VALUES). */
#define LOW (-0.5)
#define HIGH 1.5
#define MAX_VALUES 200001

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* The value of the token [s, e) as float() reads it, when it is a plain decimal number
   ([+-]digits[.digits][(e|E)[+-]digits], a digit before or after the point): 1 and *out;
   0 for any other token (the caller falls back to Python). */
static int token_value(const char *s, const char *e, double *out)
{
    const char *p = s;
    int negative = 0;
    if (p < e && (*p == '+' || *p == '-'))
        negative = *p++ == '-';
    uint64_t digits = 0;
    int significant = 0, scale = 0, mantissa = 0, inexact = 0;
    for (int fraction = 0; p < e; p++) {
        if (*p == '.' && !fraction) {
            fraction = 1;
            continue;
        }
        if (!is_digit(*p))
            break;
        mantissa = 1;
        if (digits == 0 && *p == '0') {
            scale -= fraction;
            continue;
        }
        if (significant < 19) {
            digits = digits * 10 + (uint64_t)(*p - '0');
            significant++;
            scale -= fraction;
        } else {
            inexact = 1;
        }
    }
    if (!mantissa)
        return 0;
    long exponent = 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        int minus = 0;
        if (p < e && (*p == '+' || *p == '-'))
            minus = *p++ == '-';
        if (p == e || !is_digit(*p))
            return 0;
        for (; p < e && is_digit(*p); p++)
            if (exponent < 100000)
                exponent = exponent * 10 + (*p - '0');
        if (minus)
            exponent = -exponent;
    }
    if (p != e)
        return 0;
    long power = exponent + scale;
    double value;
    if (!inexact && digits <= (UINT64_C(1) << 53) && power >= -22 && power <= 22) {
        value = power < 0 ? (double)digits / POW10[-power] : (double)digits * POW10[power];
        *out = negative ? -value : value;
        return 1;
    }
    char *end = NULL;
    value = PyOS_string_to_double(s, &end, NULL);  /* s ends in whitespace or NUL */
    if (value == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    if (end != e)
        return 0;
    *out = value;
    return 1;
}

/* Room for n more doubles in *buf. */
static int reserve(double **buf, Py_ssize_t used, Py_ssize_t *cap, Py_ssize_t n)
{
    if (used + n <= *cap)
        return 0;
    Py_ssize_t grown = (used + n) * 2;
    double *bigger = PyMem_Realloc(*buf, sizeof(double) * (size_t)grown);
    if (!bigger) {
        PyErr_NoMemory();
        return -1;
    }
    *buf = bigger;
    *cap = grown;
    return 0;
}

/* One line's values (class first) at coords[start..]: checked as lines.parse_line checks
   them, then made pixels in place (as reader._annotations computes them: the same
   operations in the same order); the row (class, polygon, score, count) is appended.
   1 when done, 0 when a check refuses the line, -1 on a Python error. */
static int finish_line(double *coords, Py_ssize_t start, Py_ssize_t *used, PyObject *rows,
                       long names, long max_classes, double width, double height)
{
    Py_ssize_t count = *used - start - 1; /* values after the class */
    double cls = coords[start];
    if (!(count >= 4) || count + 1 > MAX_VALUES)
        return 0;
    if (cls != floor(cls) || cls < 0 || (names >= 0 && cls >= (double)names) ||
        cls >= (double)max_classes)
        return 0;
    int polygon = count >= 6, scored = polygon ? (int)(count % 2) : count == 5;
    double *values = coords + start + 1;
    PyObject *score = Py_None;
    if (scored) {
        double s = values[--count];
        if (!(s >= 0 && s <= 1))
            return 0;
        score = NULL;
        if (!(score = PyFloat_FromDouble(s)))
            return -1;
    } else {
        Py_INCREF(score);
    }
    for (Py_ssize_t k = 0; k < count; k++)
        if (!(values[k] >= LOW && values[k] <= HIGH)) {
            Py_DECREF(score);
            return 0;
        }
    if (polygon) {
        for (Py_ssize_t k = 0; k < count; k++)
            values[k] = values[k] * (k % 2 ? height : width);
    } else {
        double cx = values[0], cy = values[1], w = values[2], h = values[3];
        if (w < 0 || h < 0) {
            Py_DECREF(score);
            return 0;
        }
        values[0] = (cx - w / 2) * width;
        values[1] = (cy - h / 2) * height;
        values[2] = w * width;
        values[3] = h * height;
    }
    /* the class slot goes: the values move down one */
    memmove(coords + start, values, sizeof(double) * (size_t)count);
    *used = start + count;
    PyObject *row = Py_BuildValue("(lONn)", (long)cls, polygon ? Py_True : Py_False, score,
                                  count);
    if (!row)
        return -1;
    int failed = PyList_Append(rows, row);
    Py_DECREF(row);
    return failed ? -1 : 1;
}

static PyObject *labels(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *data; /* bytes: NUL-terminated, which PyOS_string_to_double relies on */
    long names, max_classes;
    double width, height;
    if (!PyArg_ParseTuple(args, "Slldd", &data, &names, &max_classes, &width, &height))
        return NULL;
    const char *p = PyBytes_AS_STRING(data), *end = p + PyBytes_GET_SIZE(data);
    PyObject *rows = PyList_New(0), *result = NULL;
    Py_ssize_t used = 0, cap = 256, start = -1; /* start: the open line's class slot */
    double *coords = PyMem_Malloc(sizeof(double) * (size_t)cap);
    if (!rows || !coords) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        goto done;
    }
    int state = 1;
    while (p <= end && state == 1) {
        char c = p < end ? *p : '\n';
        if (c == '\n' || c == '\r') {
            if (start >= 0)
                state = finish_line(coords, start, &used, rows, names, max_classes, width,
                                    height);
            start = -1;
            p++;
            continue;
        }
        if (c == ' ' || c == '\t') {
            p++;
            continue;
        }
        const char *token = p;
        while (p < end && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            char t = *p;
            if (!(is_digit(t) || t == '.' || t == '-' || t == '+' || t == 'e' || t == 'E')) {
                state = 0;
                break;
            }
            p++;
        }
        if (state != 1)
            break;
        if (start < 0)
            start = used;
        if (used - start >= MAX_VALUES || reserve(&coords, used, &cap, 1) < 0) {
            state = PyErr_Occurred() ? -1 : 0;
            break;
        }
        if (!token_value(token, p, coords + used)) {
            state = 0;
            break;
        }
        used++;
    }
    if (state == 1) {
        PyObject *packed = PyBytes_FromStringAndSize((const char *)coords,
                                                     (Py_ssize_t)sizeof(double) * used);
        if (packed)
            result = Py_BuildValue("(ON)", rows, packed);
    } else if (state == 0) {
        result = Py_None;
        Py_INCREF(result);
    }
done:
    Py_XDECREF(rows);
    PyMem_Free(coords);
    return result;
}

static PyMethodDef methods[] = {
    {"fractions", fractions, METH_VARARGS,
     "fractions(points, width, height) -> (text, clipped): flat x, y pixel coordinates as\n"
     "fractions of the image, space-separated as YOLO lines hold them; when one lies\n"
     "outside 0..1 every value is clipped to it and clipped is True."},
    {"labels", labels, METH_VARARGS,
     "labels(data, names, max_classes, width, height) -> (rows, coords) or None: the box\n"
     "and polygon lines of a YOLO label file in pixels, rows (class, polygon, score,\n"
     "count) and the coordinates as packed doubles; None when a line needs the Python\n"
     "parser (an error to name, or text this parser does not take). names < 0: no list."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fasttext",
                                    "Compiled YOLO coordinate text.", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fasttext(void)
{
    return PyModule_Create(&module);
}
