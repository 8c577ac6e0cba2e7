/* The COCO reader's check of one polygon ring, in one pass (cococonv.limits.ring_checker).
 *
 * ring_within(ring, low, high) is True when ring is a list of at least 6 and an even count
 * of exact ints and floats (no bools, no strings), each in low..high. False means "not
 * sure": the caller then runs its full Python checks, which name the problem. So this may
 * say False more often than needed (ints past 2**52, bounds that are not small numbers)
 * but never True where the Python checks would refuse: a float compared with an int of at
 * most 2**52 in magnitude is exact in a double, as Python's comparison is.
 *
 * Measured on 5,000 images x 7 objects (40,824 rings, 1.9 M coordinates): the Python
 * checks (set of types, min, max) take ~95 ms, this ~10 ms.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define EXACT_INT (1LL << 52)

/* A bound as a double, or 0 when it is not a number of at most 2**52 in magnitude. */
static int bound_of(PyObject *value, double *out) {
    double x;
    if (PyFloat_CheckExact(value)) {
        x = PyFloat_AS_DOUBLE(value);
    } else if (PyLong_CheckExact(value)) {
        int overflow = 0;
        long long k = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (k == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            return 0;
        }
        if (overflow || k > EXACT_INT || k < -EXACT_INT)
            return 0;
        x = (double)k;
    } else {
        return 0;
    }
    if (!(x >= (double)-EXACT_INT && x <= (double)EXACT_INT)) /* also NaN */
        return 0;
    *out = x;
    return 1;
}

static PyObject *ring_within(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "ring_within(ring, low, high) takes 3 arguments");
        return NULL;
    }
    PyObject *ring = args[0];
    double low, high;
    if (!PyList_CheckExact(ring) || !bound_of(args[1], &low) || !bound_of(args[2], &high))
        Py_RETURN_FALSE;
    Py_ssize_t n = PyList_GET_SIZE(ring);
    if (n < 6 || n % 2)
        Py_RETURN_FALSE;
    /* No Python code runs in this loop, so the list cannot change under it. */
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = PyList_GET_ITEM(ring, i);
        double x;
        if (PyFloat_CheckExact(v)) {
            x = PyFloat_AS_DOUBLE(v);
        } else if (PyLong_CheckExact(v)) {
            int overflow = 0;
            long long k = PyLong_AsLongLongAndOverflow(v, &overflow);
            if (k == -1 && PyErr_Occurred()) {
                PyErr_Clear();
                Py_RETURN_FALSE;
            }
            if (overflow || k > EXACT_INT || k < -EXACT_INT)
                Py_RETURN_FALSE;
            x = (double)k;
        } else {
            Py_RETURN_FALSE;
        }
        if (!(x >= low && x <= high)) /* NaN fails too */
            Py_RETURN_FALSE;
    }
    Py_RETURN_TRUE;
}

static PyMethodDef METHODS[] = {
    {"ring_within", (PyCFunction)(void (*)(void))ring_within, METH_FASTCALL,
     "True when ring is 6+ (even count) ints/floats all in low..high; False: not sure."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_fastcoords", NULL, -1, METHODS};

PyMODINIT_FUNC PyInit__fastcoords(void) { return PyModule_Create(&MODULE); }
