/* Record spans of a JSON array, found in a window of bytes, for the streaming COCO reader
 * (cococonv_plugins.coco.json_scan; its pure-Python scanner beside it gives the same spans).
 *
 * scan(buf, pos, end, mode, eof, starts, ends) -> (count, pos, status)
 *
 * mode 0: pos is just after an array's '[' (an element or ']' may come); mode 1: just after
 * a ',' between elements (an element must come); mode 2: one value starts at pos (after
 * whitespace), its span goes to starts[0], ends[0]. Each element found whole, with the ','
 * or ']' after it, gets its span (buffer offsets, end exclusive) in the int64 buffers
 * starts and ends, up to their capacity.
 *
 * status 0: the window ends first; resume at pos (an unfinished element's start) with
 * more bytes. 1: the array closed (pos is past its ']'), or mode 2's value is whole (pos
 * is its end). 2: not the JSON expected here (the caller parses the file whole, which
 * names the error). 3: the span buffers are full; resume at pos in mode 1.
 *
 * Only the nesting of brackets outside strings is followed (escapes: an odd run of
 * backslashes before a quote escapes it); everything else is left to msgspec, which
 * decodes each window's records and refuses what is not JSON. eof says no bytes follow
 * end (a number there is whole). Measured on a 200 MB instances file: ~0.3 s.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static unsigned char special[256];  /* 1 for " [ ] { } */
static unsigned char stops[256];    /* what ends a number, true, false or null */

static int is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Past the closing quote of the string whose opening quote is at i; -1 if cut off. */
static Py_ssize_t string_end(const char *b, Py_ssize_t i, Py_ssize_t n) {
    i++;
    while (i < n) {
        const char *q = memchr(b + i, '"', (size_t)(n - i));
        if (q == NULL)
            return -1;
        Py_ssize_t k = q - b, back = 0;
        while (k - back - 1 >= i && b[k - back - 1] == '\\')
            back++;
        if (back % 2 == 0)
            return k + 1;
        i = k + 1;
    }
    return -1;
}

/* Past the value starting at i; -1 if cut off by the window, -2 if no value starts there. */
static Py_ssize_t value_end(const char *b, Py_ssize_t i, Py_ssize_t n, int eof) {
    unsigned char c = (unsigned char)b[i];
    if (c == '{' || c == '[') {
        Py_ssize_t depth = 0;
        while (i < n) {
            c = (unsigned char)b[i];
            if (!special[c]) {
                i++;
                continue;
            }
            if (c == '"') {
                i = string_end(b, i, n);
                if (i < 0)
                    return -1;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (--depth == 0)
                return i + 1;
            i++;
        }
        return -1;
    }
    if (c == '"')
        return string_end(b, i, n);
    if (stops[c])
        return -2;
    Py_ssize_t j = i;
    while (j < n && !stops[(unsigned char)b[j]])
        j++;
    return (j == n && !eof) ? -1 : j;
}

static PyObject *scan(PyObject *self, PyObject *args) {
    Py_buffer buf, sb, eb;
    Py_ssize_t pos, end;
    int mode, eof;
    if (!PyArg_ParseTuple(args, "y*nnipw*w*", &buf, &pos, &end, &mode, &eof, &sb, &eb))
        return NULL;
    const char *b = (const char *)buf.buf;
    int64_t *starts = (int64_t *)sb.buf, *ends = (int64_t *)eb.buf;
    Py_ssize_t cap = sb.len / 8 < eb.len / 8 ? sb.len / 8 : eb.len / 8;
    Py_ssize_t count = 0;
    int status = 0;
    if (end > buf.len)
        end = buf.len;
    if (pos < 0 || pos > end || cap < 1) {
        status = 2;
        goto done;
    }
    while (1) {
        while (pos < end && is_ws((unsigned char)b[pos]))
            pos++;
        if (pos == end) {
            status = eof ? 2 : 0;
            break;
        }
        if (mode == 0 && b[pos] == ']') {
            pos++;
            status = 1;
            break;
        }
        Py_ssize_t e = value_end(b, pos, end, eof);
        if (e == -2) {
            status = 2;
            break;
        }
        if (e == -1) {
            status = eof ? 2 : 0;
            break;
        }
        if (mode == 2) {
            starts[0] = pos;
            ends[0] = e;
            count = 1;
            pos = e;
            status = 1;
            break;
        }
        Py_ssize_t j = e;
        while (j < end && is_ws((unsigned char)b[j]))
            j++;
        if (j == end) {
            status = eof ? 2 : 0;
            break;
        }
        if (b[j] != ',' && b[j] != ']') {
            status = 2;
            break;
        }
        starts[count] = pos;
        ends[count] = e;
        count++;
        pos = j + 1;
        if (b[j] == ']') {
            status = 1;
            break;
        }
        mode = 1;
        if (count == cap) {
            status = 3;
            break;
        }
    }
done:
    PyBuffer_Release(&buf);
    PyBuffer_Release(&sb);
    PyBuffer_Release(&eb);
    return Py_BuildValue("nni", count, pos, status);
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, "Record spans of a JSON array in a window of bytes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastscan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fastscan(void) {
    const char *sp = "\"[]{}";
    for (const char *p = sp; *p; p++)
        special[(unsigned char)*p] = 1;
    const char *st = " \t\n\r,:[]{}\"";
    for (const char *p = st; *p; p++)
        stops[(unsigned char)*p] = 1;
    return PyModule_Create(&module);
}
