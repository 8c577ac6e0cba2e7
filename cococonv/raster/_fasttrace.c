/* Optional compiled outline tracer (cococonv.raster._fasttrace) for cococonv/contours.py.
 *
 * Why: tracing a crowd region's outline vertex by vertex in Python costs ~30 ms a mask
 * (dict of edges, a call per vertex); this is the same walk over a byte per vertex.
 * contours.py calls it through cococonv.raster.speedups and falls back to its Python
 * tracer (same rings, checked by tests/test_fasttrace.py) when this module is not built.
 *
 *   trace(pixels, height, width[, dx, dy]) -> [flat ring, ...] or None
 *
 * ``pixels`` is a C-contiguous uint8 (or bool) buffer of height x width, zero on its border
 * row and column. Each pixel edge between a set and an unset pixel is directed so the set
 * side lies on the same hand (outer rings have positive area); rings are chained from the
 * smallest remaining vertex (x, then y), turning towards the region the ring came from
 * where two edges leave a vertex (regions touching at a corner stay apart). A ring of
 * non-positive area (a hole) or a broken chain gives None. Vertices on straight runs are
 * dropped; each ring is [x0, y0, x1, y1, ...] in pixel-edge coordinates: ints, or with
 * dx and dy the floats x + dx, y + dy (the image's coordinates of a cropped mask, built
 * here since doing it per vertex in Python cost as much as the walk).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Directions of an edge leaving a vertex. */
enum { RIGHT = 0, DOWN = 1, LEFT = 2, UP = 3 };
static const int DX[4] = {1, 0, -1, 0};
static const int DY[4] = {0, 1, 0, -1};

/* A vertex's byte: bits 0-1 how many edges leave it (0-2), bits 2-3 the first one's
   direction, bits 4-5 the second's. The two are kept in direction order (the Python
   tracer's: it adds every top edge, then right, bottom, left), whatever order the pixels
   are visited in; a vertex never has two edges of one direction. */
static void add_edge(uint8_t *v, int dir)
{
    int n = *v & 3, first = (*v >> 2) & 3;
    if (n == 1 && dir < first)
        *v = (uint8_t)(2 | (dir << 2) | (first << 4));
    else
        *v = (uint8_t)((*v & ~3) | (n + 1) | (dir << (2 + 2 * n)));
}

/* Eight pixels from p (any alignment). */
static inline uint64_t load8(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

#define ONES 0x0101010101010101ULL

/* Take the edge leaving a vertex: the last added one, or with two and a known incoming
   direction, the one with the larger cross product (incoming x outgoing). -1: none. */
static int take_edge(uint8_t *v, int incoming)
{
    int n = *v & 3;
    if (n == 0)
        return -1;
    int first = (*v >> 2) & 3, second = (*v >> 4) & 3, pick = n == 2 ? second : first;
    if (n == 2 && incoming >= 0) {
        long c1 = (long)DX[incoming] * DY[first] - (long)DY[incoming] * DX[first];
        long c2 = (long)DX[incoming] * DY[second] - (long)DY[incoming] * DX[second];
        if (c1 > c2)
            pick = first;
    }
    if (n == 2) {
        int rest = pick == second ? first : second;
        *v = (uint8_t)(1 | (rest << 2));
        return pick;
    }
    *v = 0;
    return pick;
}

/* One ring's vertices, x and y interleaved; room for every edge of the mask. */
typedef struct { long *xy; Py_ssize_t size; } Ring;

/* The ring without vertices on straight runs, as a Python list: of ints, or with
   `shift` of the floats x + dx, y + dy. */
static PyObject *kept_vertices(const Ring *r, int shift, long dx, long dy)
{
    Py_ssize_t n = r->size / 2;
    PyObject *out = PyList_New(0);
    if (!out)
        return NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_ssize_t a = (k + n - 1) % n, c = (k + 1) % n;
        long ax = r->xy[2 * a], ay = r->xy[2 * a + 1], bx = r->xy[2 * k], by = r->xy[2 * k + 1];
        long cx = r->xy[2 * c], cy = r->xy[2 * c + 1];
        if ((bx - ax) * (cy - by) - (by - ay) * (cx - bx) == 0)
            continue;
        for (int j = 0; j < 2; j++) {
            long v = j ? by : bx;
            PyObject *value = shift ? PyFloat_FromDouble((double)(v + (j ? dy : dx)))
                                    : PyLong_FromLong(v);
            if (!value || PyList_Append(out, value) < 0) {
                Py_XDECREF(value);
                Py_DECREF(out);
                return NULL;
            }
            Py_DECREF(value);
        }
    }
    return out;
}

static PyObject *trace(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    Py_ssize_t h, w;
    long dx = 0, dy = 0;
    if (!PyArg_ParseTuple(args, "y*nn|ll", &buf, &h, &w, &dx, &dy))
        return NULL;
    int shift = PyTuple_GET_SIZE(args) > 3;
    if (h < 3 || w < 3 || buf.len != h * w || h > (1L << 30) / w) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "trace: pixels must be height x width, at least 3x3");
        return NULL;
    }
    const uint8_t *px = buf.buf;
    Py_ssize_t vw = w + 1, vh = h + 1;  /* vertices: x in 0..w, y in 0..h; index x * vh + y */
    uint8_t *verts = calloc((size_t)(vw * vh), 1);
    PyObject *rings = NULL;
    Ring ring = {NULL, 0};
    Py_ssize_t edges = 0;
    if (!verts) {
        PyBuffer_Release(&buf);
        return PyErr_NoMemory();
    }
#define PX(y, x) (px[(y) * w + (x)] != 0)
#define V(x, y) (&verts[(x) * vh + (y)])
    /* One pass over the pixels; eight at a time are skipped where none can have an edge:
       all unset, or all set (as 1, a bool buffer's) amid set pixels on every side. */
    for (Py_ssize_t y = 1; y < h - 1; y++) {
        const uint8_t *row = px + y * w;
        for (Py_ssize_t x = 1; x < w - 1; x++) {
            if (x + 8 < w) {
                uint64_t here = load8(row + x);
                if (here == 0 || (here == ONES && load8(row + x - w) == ONES &&
                                  load8(row + x + w) == ONES && row[x - 1] && row[x + 8])) {
                    x += 7;
                    continue;
                }
            }
            if (!row[x])
                continue;
            if (!PX(y - 1, x)) add_edge(V(x, y), RIGHT), edges++;
            if (!PX(y, x + 1)) add_edge(V(x + 1, y), DOWN), edges++;
            if (!PX(y + 1, x)) add_edge(V(x + 1, y + 1), LEFT), edges++;
            if (!PX(y, x - 1)) add_edge(V(x, y + 1), UP), edges++;
        }
    }
    ring.xy = malloc((size_t)(2 * edges + 2) * sizeof(long));
    if (!ring.xy) {
        PyErr_NoMemory();
        goto fail;
    }
    rings = PyList_New(0);
    if (!rings)
        goto fail;
    Py_ssize_t scan = 0, total = vw * vh;
    for (;;) {
        while (scan + 8 <= total && (load8(verts + scan) & (3 * ONES)) == 0)
            scan += 8;  /* vertices without edges, eight at a time */
        while (scan < total && (verts[scan] & 3) == 0)
            scan++;
        if (scan == total)
            break;
        long sx = (long)(scan / vh), sy = (long)(scan % vh), x = sx, y = sy;
        int64_t area = 0;
        int dir = take_edge(&verts[scan], -1);
        ring.size = 0;
        for (;;) {
            if (ring.size + 2 > 2 * edges)
                goto none;  /* cannot happen: each edge is taken once */
            ring.xy[ring.size++] = x;
            ring.xy[ring.size++] = y;
            long nx = x + DX[dir], ny = y + DY[dir];
            area += (int64_t)x * ny - (int64_t)nx * y;
            x = nx;
            y = ny;
            if (x == sx && y == sy)
                break;
            if (x < 0 || y < 0 || x >= vw || y >= vh)
                goto none;
            dir = take_edge(V(x, y), dir);
            if (dir < 0)
                goto none;
        }
        if (area <= 0)
            goto none;  /* a hole */
        PyObject *kept = kept_vertices(&ring, shift, dx, dy);
        if (!kept || PyList_Append(rings, kept) < 0) {
            Py_XDECREF(kept);
            goto fail;
        }
        Py_DECREF(kept);
    }
#undef PX
#undef V
    free(verts);
    free(ring.xy);
    PyBuffer_Release(&buf);
    return rings;
none:
    free(verts);
    free(ring.xy);
    PyBuffer_Release(&buf);
    Py_XDECREF(rings);
    Py_RETURN_NONE;
fail:
    free(verts);
    free(ring.xy);
    PyBuffer_Release(&buf);
    Py_XDECREF(rings);
    return NULL;
}

static PyMethodDef METHODS[] = {
    {"trace", trace, METH_VARARGS, "Rings of a padded binary mask, or None (see module)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_fasttrace", NULL, -1, METHODS};

PyMODINIT_FUNC PyInit__fasttrace(void) { return PyModule_Create(&MODULE); }
