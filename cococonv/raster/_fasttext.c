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

static PyMethodDef methods[] = {
    {"fractions", fractions, METH_VARARGS,
     "fractions(points, width, height) -> (text, clipped): flat x, y pixel coordinates as\n"
     "fractions of the image, space-separated as YOLO lines hold them; when one lies\n"
     "outside 0..1 every value is clipped to it and clipped is True."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fasttext",
                                    "Compiled YOLO coordinate text.", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fasttext(void)
{
    return PyModule_Create(&module);
}
