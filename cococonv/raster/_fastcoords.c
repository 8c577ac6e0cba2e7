/* The COCO reader's checks of one polygon ring and one box, one pass each
 * (cococonv.limits.ring_checker and box_checker; the Python fallbacks sit beside them).
 *
 * ring_within(ring, low, high) is True when ring is a list of at least 6 and an even count
 * of exact ints and floats (no bools, no strings), each in low..high. box_within(box, low,
 * high) is True when box is a list [x, y, w, h] of such numbers with w, h >= 0 and x, y,
 * x + w, y + h in low..high. False means "not sure": the caller then runs its full Python
 * checks, which name the problem. So these may say False more often than needed (ints
 * past 2**52, bounds that are not small numbers) but never True where the Python checks
 * would refuse: an int of at most 2**52 in magnitude converts to a double exactly, so
 * comparisons and sums are those Python makes.
 *
 * Measured on 5,000 images x 7 objects (40,824 rings, 1.9 M coordinates): the Python
 * ring checks (set of types, min, max) take ~95 ms, these ~10 ms.
 *
 * ring_bounds(points) gives (min x, min y, max x, max y) of a flat list of an even count
 * (at least 2) of exact floats, the very objects Python's min and max of points[0::2] and
 * points[1::2] give (the first of equal values; a value replaces only when it compares
 * less, or greater, as float comparison goes, NaN included), or None for anything else:
 * for cococonv.geometry.points_bbox, whose slices and four passes cost ~3 us a ring.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define EXACT_INT (1LL << 52)

/* An exact int or float as a double; 0 for anything else or an int past 2**52. */
static int number_of(PyObject *v, double *out) {
    if (PyFloat_CheckExact(v)) {
        *out = PyFloat_AS_DOUBLE(v);
        return 1;
    }
    if (PyLong_CheckExact(v)) {
        int overflow = 0;
        long long k = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (k == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            return 0;
        }
        if (overflow || k > EXACT_INT || k < -EXACT_INT)
            return 0;
        *out = (double)k;
        return 1;
    }
    return 0;
}

/* The three arguments: a list and two bounds of at most 2**52 in magnitude (else 0). */
static int unpack(PyObject *const *args, Py_ssize_t nargs, const char *name, PyObject **list,
                  double *low, double *high, int *bad) {
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "%s(values, low, high) takes 3 arguments", name);
        return 0;
    }
    *list = args[0];
    *bad = !PyList_CheckExact(*list) || !number_of(args[1], low) ||
           !number_of(args[2], high) || !(*low >= (double)-EXACT_INT) ||
           !(*high <= (double)EXACT_INT);
    return 1;
}

static PyObject *ring_within(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *ring;
    double low, high;
    int bad;
    (void)self;
    if (!unpack(args, nargs, "ring_within", &ring, &low, &high, &bad))
        return NULL;
    if (bad)
        Py_RETURN_FALSE;
    Py_ssize_t n = PyList_GET_SIZE(ring);
    if (n < 6 || n % 2)
        Py_RETURN_FALSE;
    /* No Python code runs in this loop, so the list cannot change under it. */
    for (Py_ssize_t i = 0; i < n; i++) {
        double x;
        if (!number_of(PyList_GET_ITEM(ring, i), &x) || !(x >= low && x <= high))
            Py_RETURN_FALSE; /* NaN fails the comparison too */
    }
    Py_RETURN_TRUE;
}

static PyObject *box_within(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *box;
    double low, high, v[4];
    int bad;
    (void)self;
    if (!unpack(args, nargs, "box_within", &box, &low, &high, &bad))
        return NULL;
    if (bad || PyList_GET_SIZE(box) != 4)
        Py_RETURN_FALSE;
    for (int i = 0; i < 4; i++)
        if (!number_of(PyList_GET_ITEM(box, i), &v[i]))
            Py_RETURN_FALSE;
    if (!(v[2] >= 0 && v[3] >= 0))
        Py_RETURN_FALSE;
    double corners[4] = {v[0], v[1], v[0] + v[2], v[1] + v[3]};
    for (int i = 0; i < 4; i++)
        if (!(corners[i] >= low && corners[i] <= high))
            Py_RETURN_FALSE;
    Py_RETURN_TRUE;
}

static PyObject *ring_bounds(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 1) {
        PyErr_SetString(PyExc_TypeError, "ring_bounds(points) takes 1 argument");
        return NULL;
    }
    PyObject *points = args[0];
    if (!PyList_CheckExact(points))
        Py_RETURN_NONE;
    Py_ssize_t n = PyList_GET_SIZE(points);
    if (n < 2 || n % 2)
        Py_RETURN_NONE;
    Py_ssize_t low[2] = {0, 1}, high[2] = {0, 1};
    double low_v[2], high_v[2];
    /* No Python code runs in this loop, so the list cannot change under it. */
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(points, i);
        if (!PyFloat_CheckExact(item))
            Py_RETURN_NONE;
        double v = PyFloat_AS_DOUBLE(item);
        int axis = (int)(i % 2);
        if (i < 2) {
            low_v[axis] = high_v[axis] = v;
            continue;
        }
        if (v < low_v[axis]) {
            low_v[axis] = v;
            low[axis] = i;
        }
        if (v > high_v[axis]) {
            high_v[axis] = v;
            high[axis] = i;
        }
    }
    return PyTuple_Pack(4, PyList_GET_ITEM(points, low[0]), PyList_GET_ITEM(points, low[1]),
                        PyList_GET_ITEM(points, high[0]), PyList_GET_ITEM(points, high[1]));
}

static PyMethodDef METHODS[] = {
    {"ring_bounds", (PyCFunction)(void (*)(void))ring_bounds, METH_FASTCALL,
     "(min x, min y, max x, max y) of a flat list of exact floats (their objects), or None."},
    {"ring_within", (PyCFunction)(void (*)(void))ring_within, METH_FASTCALL,
     "True when ring is 6+ (even count) ints/floats all in low..high; False: not sure."},
    {"box_within", (PyCFunction)(void (*)(void))box_within, METH_FASTCALL,
     "True when box is [x, y, w, h] numbers, w, h >= 0, corners in low..high; else False."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_fastcoords", NULL, -1, METHODS};

PyMODINIT_FUNC PyInit__fastcoords(void) { return PyModule_Create(&MODULE); }
