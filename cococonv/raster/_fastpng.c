/* Optional compiled deflate for mask PNG scanlines (cococonv.raster._fastpng).
 *
 * Why: a label image is long runs of a few values, and most rows repeat the row above.
 * A general-purpose deflate scans and hashes every byte; here each position only asks
 * "how far does this repeat the previous byte, or the row above?" (16 bytes per compare
 * with SSE2, else 8). On the benchmark's 640x480 masks: 0.10 ms and 3.9 KB per mask
 * against 0.15 ms and 4.1 KB for zlib-ng's run-length strategy.
 *
 *   deflate_rows(scanlines, height, width, limit) -> raw deflate bytes, or None
 *
 * The output is one dynamic-Huffman block (RFC 1951) of literals and of matches at
 * distance 1 and at distance width + 1; the caller adds the zlib header and Adler-32.
 * None means the picture is too busy for this scheme (more than `limit` symbols); the
 * caller then uses zlib.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define LITERALS 286  /* 0-255 bytes, 256 end of block, 257-285 match lengths */
#define END_OF_BLOCK 256
#define FIRST_LENGTH 257 /* the symbol of LENGTH_BASE[0] */
#define DISTANCES 30
#define MAX_MATCH 258
#define MIN_MATCH 3

/* RFC 1951 3.2.5: match length and distance codes (base value and extra bits). */
static const uint16_t LENGTH_BASE[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,
                                         15, 17, 19, 23, 27, 31, 35, 43, 51,  59,
                                         67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t LENGTH_EXTRA[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                         2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t DISTANCE_BASE[30] = {1,    2,    3,    4,    5,    7,     9,     13,
                                           17,   25,   33,   49,   65,   97,    129,   193,
                                           257,  385,  513,  769,  1025, 1537,  2049,  3073,
                                           4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t DISTANCE_EXTRA[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                           6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
/* the order in which the code-length code's lengths are stored */
static const uint8_t LENGTH_ORDER[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
                                         11, 4, 12, 3, 13, 2, 14, 1, 15};

static uint8_t length_code[MAX_MATCH + 1]; /* match length -> index into LENGTH_BASE */

/* -- matching ---------------------------------------------------------------------------- */

/* How many bytes from a and b agree, up to limit, 8 bytes per compare (the tail of the
   vector versions below, and the whole of it where they are not built). */
static inline Py_ssize_t match_tail(const uint8_t *a, const uint8_t *b, Py_ssize_t k,
                                    Py_ssize_t limit)
{
    while (k + 8 <= limit) {
        uint64_t u, v;
        memcpy(&u, a + k, 8);
        memcpy(&v, b + k, 8);
        if (u != v) /* the first differing byte: lowest in memory order */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            return k + (__builtin_clzll(u ^ v) >> 3);
#else
            return k + (__builtin_ctzll(u ^ v) >> 3);
#endif
        k += 8;
    }
    while (k < limit && a[k] == b[k])
        k++;
    return k;
}

static inline Py_ssize_t match_length(const uint8_t *a, const uint8_t *b, Py_ssize_t limit)
{
    Py_ssize_t k = 0;
#ifdef __SSE2__
    while (k + 16 <= limit) { /* 16 bytes per step where SSE2 is (every x86-64) */
        __m128i x = _mm_loadu_si128((const __m128i *)(a + k));
        __m128i y = _mm_loadu_si128((const __m128i *)(b + k));
        unsigned same = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
        if (same != 0xFFFF)
            return k + __builtin_ctz(~same);
        k += 16;
    }
#endif
    return match_tail(a, b, k, limit);
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__AVX2__)
#define HAVE_AVX2_VARIANT 1
#include <immintrin.h>
/* The same with AVX2's 32 bytes per compare, chosen at import on CPUs that have it: most
   of a label image's matches run the full 258 bytes, 9 compares instead of 17. */
__attribute__((target("avx2"))) static inline Py_ssize_t
match_length_avx2(const uint8_t *a, const uint8_t *b, Py_ssize_t limit)
{
    Py_ssize_t k = 0;
    while (k + 32 <= limit) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(a + k));
        __m256i y = _mm256_loadu_si256((const __m256i *)(b + k));
        unsigned same = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, y));
        if (same != 0xFFFFFFFFu)
            return k + __builtin_ctz(~same);
        k += 32;
    }
    return match_tail(a, b, k, limit);
}
#endif

/* A symbol: a literal byte, or a match of `value` bytes copied from the byte before
   (far = 0, distance 1) or from the row above (far = 1, distance width + 1). */
typedef struct {
    uint16_t value;
    uint8_t is_match, far;
} Token;

/* The greedy parse: at each position the longer of the matches with the row above and
   with the byte before (at least MIN_MATCH), else a literal. Returns the token count, or
   -1 past `limit` tokens. Defined once per compare width; both give the same tokens. */
#define DEFINE_TOKENIZE(NAME, ATTRIBUTES, MATCH)                                          \
    ATTRIBUTES static Py_ssize_t NAME(const uint8_t *data, Py_ssize_t n, Py_ssize_t far,  \
                                      Token *tokens, Py_ssize_t limit)                    \
    {                                                                                     \
        Py_ssize_t used = 0;                                                              \
        for (Py_ssize_t i = 0; i < n;) {                                                  \
            if (used == limit)                                                            \
                return -1;                                                                \
            Py_ssize_t room = n - i < MAX_MATCH ? n - i : MAX_MATCH;                      \
            /* the row above first: in a label image most of a row repeats it */         \
            Py_ssize_t above = far && i >= far ? MATCH(data + i, data + i - far, room) : 0; \
            Py_ssize_t near = i >= 1 && above < room ? MATCH(data + i, data + i - 1, room) \
                                                     : 0;                                 \
            Token *t = &tokens[used++];                                                   \
            if (near >= MIN_MATCH || above >= MIN_MATCH) {                                \
                t->is_match = 1;                                                          \
                t->far = above > near;                                                    \
                t->value = (uint16_t)(above > near ? above : near);                       \
                i += t->value;                                                            \
            } else {                                                                      \
                t->is_match = 0;                                                          \
                t->value = data[i++];                                                     \
            }                                                                             \
        }                                                                                 \
        return used;                                                                      \
    }

DEFINE_TOKENIZE(tokenize_base, , match_length)
#ifdef HAVE_AVX2_VARIANT
DEFINE_TOKENIZE(tokenize_avx2, __attribute__((target("avx2"))), match_length_avx2)
#endif

static Py_ssize_t (*tokenize)(const uint8_t *, Py_ssize_t, Py_ssize_t, Token *,
                              Py_ssize_t) = tokenize_base;

/* -- Huffman code lengths ----------------------------------------------------------------- */

typedef struct {
    uint32_t weight;
    int16_t symbol, parent;
} Node;

static int by_weight(const void *a, const void *b)
{
    const Node *x = a, *y = b;
    if (x->weight != y->weight)
        return x->weight < y->weight ? -1 : 1;
    return x->symbol - y->symbol;
}

/* Code lengths (at most `limit` bits) for the symbols' counts; 0 for unused symbols. One
   used symbol gets length 1. Too-deep trees are rebuilt from flattened counts (any
   prefix code is valid deflate; this is a near-optimal one). */
static void code_lengths(const uint32_t *counts, int size, int limit, uint8_t *lengths)
{
    Node nodes[2 * LITERALS];
    uint32_t weights[LITERALS];
    for (int s = 0; s < size; s++)
        weights[s] = counts[s];
    for (;;) {
        int leaves = 0;
        for (int s = 0; s < size; s++) {
            lengths[s] = 0;
            if (weights[s]) {
                nodes[leaves].weight = weights[s];
                nodes[leaves].symbol = (int16_t)s;
                nodes[leaves].parent = -1;
                leaves++;
            }
        }
        if (leaves == 0)
            return;
        if (leaves == 1) {
            lengths[nodes[0].symbol] = 1;
            return;
        }
        qsort(nodes, (size_t)leaves, sizeof(Node), by_weight);
        /* two queues: the sorted leaves, and the inner nodes (created in rising weight) */
        int leaf = 0, inner = leaves, total = leaves;
        while (total - inner + (leaves - leaf) > 1) {
            int pick[2];
            for (int k = 0; k < 2; k++) {
                if (leaf < leaves && (inner >= total || nodes[leaf].weight <= nodes[inner].weight))
                    pick[k] = leaf++;
                else
                    pick[k] = inner++;
            }
            nodes[total].weight = nodes[pick[0]].weight + nodes[pick[1]].weight;
            nodes[total].symbol = -1;
            nodes[total].parent = -1;
            nodes[pick[0]].parent = nodes[pick[1]].parent = (int16_t)total;
            total++;
        }
        /* depth of each node = depth of its parent + 1 (parents come later) */
        uint8_t depth[2 * LITERALS];
        int deepest = 0;
        depth[total - 1] = 0;
        for (int k = total - 2; k >= 0; k--) {
            depth[k] = (uint8_t)(depth[nodes[k].parent] + 1);
            if (k < leaves && depth[k] > deepest)
                deepest = depth[k];
        }
        if (deepest <= limit) {
            for (int k = 0; k < leaves; k++)
                lengths[nodes[k].symbol] = depth[k];
            return;
        }
        for (int s = 0; s < size; s++)
            if (weights[s])
                weights[s] = (weights[s] >> 1) | 1;
    }
}

/* Canonical codes for the lengths, bit-reversed for deflate's low-bit-first packing. */
static void canonical_codes(const uint8_t *lengths, int size, uint16_t *codes)
{
    uint16_t count[16] = {0}, next[16];
    for (int s = 0; s < size; s++)
        count[lengths[s]]++;
    count[0] = 0;
    uint16_t code = 0;
    for (int bits = 1; bits < 16; bits++) {
        code = (uint16_t)((code + count[bits - 1]) << 1);
        next[bits] = code;
    }
    for (int s = 0; s < size; s++) {
        int bits = lengths[s];
        if (!bits)
            continue;
        uint16_t value = next[bits]++, reversed = 0;
        for (int b = 0; b < bits; b++)
            reversed = (uint16_t)(reversed | (((value >> b) & 1) << (bits - 1 - b)));
        codes[s] = reversed;
    }
}

/* -- bit output ---------------------------------------------------------------------------- */

typedef struct {
    uint8_t *out;
    Py_ssize_t size;
    uint64_t bits;
    int count;
} Writer;

/* Add `bits` bits (at most 32) to the buffer without writing them out: up to 56 bits
   wait there (7 left over by the last flush and one symbol's code and extra bits). */
static inline void add(Writer *w, uint32_t value, int bits)
{
    w->bits |= (uint64_t)value << w->count;
    w->count += bits;
}

/* Write the buffer's whole bytes as one 8-byte store (the buffer keeps 8 bytes of slack);
   at most 7 bits stay. */
static inline void flush(Writer *w)
{
    uint64_t word = w->bits;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap64(word);
#endif
    memcpy(w->out + w->size, &word, 8);
    int whole = w->count >> 3; /* at most 7: the shift below stays under 64 */
    w->size += whole;
    w->bits >>= 8 * whole;
    w->count &= 7;
}

static inline void put(Writer *w, uint32_t value, int bits)
{
    add(w, value, bits);
    flush(w);
}

/* -- the block ----------------------------------------------------------------------------- */

static PyObject *deflate_rows(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer view;
    Py_ssize_t h, w, limit;
    if (!PyArg_ParseTuple(args, "y*nnn", &view, &h, &w, &limit))
        return NULL;
    PyObject *result = NULL;
    Token *tokens = NULL;
    uint8_t *out = NULL;
    /* stride 0 where w + 1 would overflow; h * stride <= n once n / h == stride */
    Py_ssize_t stride = w < PY_SSIZE_T_MAX ? w + 1 : 0, n = view.len;
    if (h < 0 || w < 0 || !stride || (h && n / h != stride) || n != h * stride || limit < 0) {
        PyErr_SetString(PyExc_ValueError, "expected height rows of 1 + width bytes");
        goto done;
    }
    /* Each symbol takes a byte or more, so a limit past n sizes nothing (limit + 1 tokens
       could overflow, or wrap malloc's size); under 2^31 symbols the uint32 counts and
       Huffman weights (sum: used + 1) cannot overflow, and trees stay < 50 deep (uint8). */
    if (limit > n)
        limit = n;
    if (limit > 0x7FFFFFFF)
        limit = 0x7FFFFFFF; /* past 2^31 - 1 symbols: None, zlib does it */
    const uint8_t *data = view.buf;
    Py_ssize_t far = stride <= 32768 ? stride : 0; /* deflate reaches back 32 KiB at most */
    tokens = malloc(sizeof(Token) * (size_t)(limit + 1));
    if (!tokens) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t used = tokenize(data, n, far, tokens, limit);
    if (used < 0) { /* too busy: let zlib do it */
        Py_INCREF(Py_None);
        result = Py_None;
        goto done;
    }
    /* symbol counts and the two alphabets' codes */
    uint32_t lit_counts[LITERALS] = {0}, dist_counts[DISTANCES] = {0};
    int far_code = 0;
    if (far)
        while (far_code + 1 < DISTANCES && DISTANCE_BASE[far_code + 1] <= far)
            far_code++;
    for (Py_ssize_t k = 0; k < used; k++) {
        if (tokens[k].is_match) {
            lit_counts[FIRST_LENGTH + length_code[tokens[k].value]]++;
            dist_counts[tokens[k].far ? far_code : 0]++;
        } else {
            lit_counts[tokens[k].value]++;
        }
    }
    lit_counts[END_OF_BLOCK] = 1;
    uint8_t lit_len[LITERALS], dist_len[DISTANCES];
    uint16_t lit_code[LITERALS] = {0}, dist_code[DISTANCES] = {0};
    code_lengths(lit_counts, LITERALS, 15, lit_len);
    code_lengths(dist_counts, DISTANCES, 15, dist_len);
    int hlit = LITERALS, hdist = DISTANCES;
    while (hlit > FIRST_LENGTH && !lit_len[hlit - 1])
        hlit--;
    while (hdist > 1 && !dist_len[hdist - 1])
        hdist--;
    if (!dist_len[0] && hdist == 1)
        dist_len[0] = 1; /* no match at all: one unused distance code, as zlib writes */
    canonical_codes(lit_len, LITERALS, lit_code);
    canonical_codes(dist_len, DISTANCES, dist_code);
    /* the code lengths, run-length coded (16: repeat the last 3-6 times, 17/18: zeros) */
    uint8_t all[LITERALS + DISTANCES];
    memcpy(all, lit_len, (size_t)hlit);
    memcpy(all + hlit, dist_len, (size_t)hdist);
    int total = hlit + hdist;
    uint8_t rle_symbol[LITERALS + DISTANCES], rle_extra[LITERALS + DISTANCES];
    int rle_size = 0;
    uint32_t cl_counts[19] = {0};
    for (int k = 0; k < total;) {
        int run = 1;
        while (k + run < total && all[k + run] == all[k])
            run++;
        int value = all[k];
        k += run;
        if (value == 0) {
            while (run >= 11) {
                int take = run < 138 ? run : 138;
                rle_symbol[rle_size] = 18;
                rle_extra[rle_size++] = (uint8_t)(take - 11);
                run -= take;
            }
            if (run >= 3) {
                rle_symbol[rle_size] = 17;
                rle_extra[rle_size++] = (uint8_t)(run - 3);
                run = 0;
            }
        } else {
            rle_symbol[rle_size] = (uint8_t)value;
            rle_extra[rle_size++] = 0;
            run--;
            while (run >= 3) {
                int take = run < 6 ? run : 6;
                rle_symbol[rle_size] = 16;
                rle_extra[rle_size++] = (uint8_t)(take - 3);
                run -= take;
            }
        }
        while (run-- > 0) {
            rle_symbol[rle_size] = (uint8_t)value;
            rle_extra[rle_size++] = 0;
        }
    }
    for (int k = 0; k < rle_size; k++)
        cl_counts[rle_symbol[k]]++;
    uint8_t cl_len[19];
    uint16_t cl_code[19] = {0};
    code_lengths(cl_counts, 19, 7, cl_len);
    canonical_codes(cl_len, 19, cl_code);
    int hclen = 19;
    while (hclen > 4 && !cl_len[LENGTH_ORDER[hclen - 1]])
        hclen--;
    /* at most 15 + 5 + 15 + 13 bits per token, plus the header */
    out = malloc((size_t)used * 6 + 1024);
    if (!out) {
        PyErr_NoMemory();
        goto done;
    }
    Writer wr = {out, 0, 0, 0};
    put(&wr, 1, 1); /* the last block */
    put(&wr, 2, 2); /* dynamic Huffman codes */
    put(&wr, (uint32_t)(hlit - FIRST_LENGTH), 5);
    put(&wr, (uint32_t)(hdist - 1), 5);
    put(&wr, (uint32_t)(hclen - 4), 4);
    for (int k = 0; k < hclen; k++)
        put(&wr, cl_len[LENGTH_ORDER[k]], 3);
    static const int RLE_EXTRA_BITS[19] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                           0, 0, 0, 0, 0, 0, 2, 3, 7};
    for (int k = 0; k < rle_size; k++) {
        put(&wr, cl_code[rle_symbol[k]], cl_len[rle_symbol[k]]);
        if (RLE_EXTRA_BITS[rle_symbol[k]])
            put(&wr, rle_extra[k], RLE_EXTRA_BITS[rle_symbol[k]]);
    }
    /* Each match length's code and extra bits as one value (at most 15 + 5 bits), and the
       two distances' likewise (at most 15 + 13): a match is two adds and one flush. */
    uint32_t length_bits[MAX_MATCH + 1];
    uint8_t length_size[MAX_MATCH + 1];
    for (int value = MIN_MATCH; value <= MAX_MATCH; value++) {
        int code = length_code[value], size = lit_len[FIRST_LENGTH + code];
        length_bits[value] = lit_code[FIRST_LENGTH + code] |
                             (uint32_t)(value - LENGTH_BASE[code]) << size;
        length_size[value] = (uint8_t)(size + LENGTH_EXTRA[code]);
    }
    uint32_t far_rest = far ? (uint32_t)(far - DISTANCE_BASE[far_code]) : 0;
    uint32_t distance_bits[2] = {dist_code[0],
                                 dist_code[far_code] | far_rest << dist_len[far_code]};
    int distance_size[2] = {dist_len[0], dist_len[far_code] + DISTANCE_EXTRA[far_code]};
    for (Py_ssize_t k = 0; k < used; k++) {
        const Token *t = &tokens[k];
        if (!t->is_match) {
            put(&wr, lit_code[t->value], lit_len[t->value]);
            continue;
        }
        add(&wr, length_bits[t->value], length_size[t->value]);
        add(&wr, distance_bits[t->far], distance_size[t->far]);
        flush(&wr);
    }
    put(&wr, lit_code[END_OF_BLOCK], lit_len[END_OF_BLOCK]);
    if (wr.count)
        put(&wr, 0, 8 - wr.count);
    result = PyBytes_FromStringAndSize((const char *)out, wr.size);
done:
    PyBuffer_Release(&view);
    free(tokens);
    free(out);
    return result;
}

static PyMethodDef methods[] = {
    {"deflate_rows", deflate_rows, METH_VARARGS,
     "deflate_rows(scanlines, height, width, limit) -> raw deflate data, or None\n"
     "One dynamic-Huffman block of the PNG scanlines (height rows of 1 + width bytes)\n"
     "with matches at distance 1 and width + 1; None past `limit` symbols."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastpng",
                                    "Compiled deflate for mask PNG scanlines.", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fastpng(void)
{
    for (int code = 0; code < 29; code++) {
        int last = code + 1 < 29 ? LENGTH_BASE[code + 1] - 1 : MAX_MATCH;
        if (code == 27)
            last = 257; /* 258 has a code of its own */
        for (int length = LENGTH_BASE[code]; length <= last && length <= MAX_MATCH; length++)
            length_code[length] = (uint8_t)code;
    }
#ifdef HAVE_AVX2_VARIANT
    if (!getenv("COCOCONV_NO_AVX2")) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2"))
            tokenize = tokenize_avx2;
    }
#endif
    return PyModule_Create(&module);
}
