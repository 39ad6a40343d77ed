/*
 * C baseline for the RLE figures of `pnpm bench quality`, compiled with `gcc -O2` into a temporary directory by
 * the benchmark on every run and fed the same masks. Written from the COCO RLE definition (maskApi): a binary
 * mask of height h and width w is read in column-major (Fortran) order and stored as run lengths that alternate
 * zeros and ones, starting with a (possibly empty) run of zeros. The string form writes each count (from the
 * fourth on, as the difference to the count two places before) in 5-bit groups, least significant first,
 * offset by 48, with 0x20 meaning "another group follows" and 0x10 in the last group carrying the sign.
 *
 * Usage: rle_baseline MASKS_FILE ENCODE_ROUNDS PAIR_ROUNDS REPEATS
 * MASKS_FILE: int32 little-endian nDt, nGt, height, width, then nDt + nGt row-major bitmaps of height*width bytes
 * (non-zero = foreground). Prints one JSON object: timings (best of REPEATS, each ENCODE_ROUNDS passes over all
 * masks or PAIR_ROUNDS passes over the matrix) and the results
 * (a hash of all run lengths and of all strings, and every IoU of the nDt x nGt matrix) for the benchmark to check.
 * Two empty masks score IoU 1, Suture's convention (cocoapi gives 0).
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  uint32_t h, w, n; /* n run lengths in runs */
  uint32_t *runs;
} Rle;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Keeps the compiler from hoisting a pure computation out of the timing loop. */
#define BARRIER(p) __asm__ volatile("" : : "r"(p) : "memory")

static void *must_alloc(size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p) {
    fprintf(stderr, "rle_baseline: out of memory (%zu bytes)\n", bytes);
    exit(2);
  }
  return p;
}

/* Encodes a column-major mask (cocoapi's input order): one pass, a new run at every change of value. */
static void encode_column_major(const uint8_t *pixels, uint32_t h, uint32_t w, Rle *out) {
  size_t total = (size_t)h * w, j;
  uint32_t n = 0, run = 0;
  uint8_t value = 0;
  for (j = 0; j < total; j++) {
    uint8_t v = pixels[j] != 0;
    if (v != value) {
      out->runs[n++] = run;
      run = 0;
      value = v;
    }
    run++;
  }
  out->runs[n++] = run;
  out->h = h;
  out->w = w;
  out->n = n;
}

/* The same definition read straight from a row-major bitmap (column by column, striding over rows). */
static void encode_row_major(const uint8_t *pixels, uint32_t h, uint32_t w, Rle *out) {
  uint32_t n = 0, run = 0, x, y;
  uint8_t value = 0;
  for (x = 0; x < w; x++) {
    for (y = 0; y < h; y++) {
      uint8_t v = pixels[(size_t)y * w + x] != 0;
      if (v != value) {
        out->runs[n++] = run;
        run = 0;
        value = v;
      }
      run++;
    }
  }
  out->runs[n++] = run;
  out->h = h;
  out->w = w;
  out->n = n;
}

/* String form; `text` needs room for 7 characters per run plus the terminator. Returns the length. */
static size_t runs_to_string(const Rle *r, char *text) {
  size_t len = 0;
  uint32_t i;
  for (i = 0; i < r->n; i++) {
    int64_t x = (int64_t)r->runs[i] - (i > 2 ? (int64_t)r->runs[i - 2] : 0);
    int more = 1;
    while (more) {
      int group = (int)(x & 0x1f);
      x >>= 5; /* arithmetic shift: negative deltas end at -1 */
      more = (group & 0x10) ? x != -1 : x != 0;
      if (more) group |= 0x20;
      text[len++] = (char)(group + 48);
    }
  }
  text[len] = 0;
  return len;
}

/* Parses the string form into `out->runs` (room for strlen(text) runs). */
static void runs_from_string(const char *text, uint32_t h, uint32_t w, Rle *out) {
  uint32_t n = 0;
  const char *p = text;
  while (*p) {
    int64_t x = 0;
    int shift = 0, more = 1;
    while (more) {
      int group = *p++ - 48;
      x |= (int64_t)(group & 0x1f) << shift;
      shift += 5;
      more = group & 0x20;
      if (!more && (group & 0x10)) x |= -((int64_t)1 << shift);
    }
    if (n > 2) x += out->runs[n - 2];
    out->runs[n++] = (uint32_t)x;
  }
  out->h = h;
  out->w = w;
  out->n = n;
}

/*
 * IoU by walking both run lists at once (the loop of cocoapi's rleIou, without its bounding-box pre-check):
 * take the shorter of the two current runs, count it into the union when either mask is on there and into the
 * intersection when both are, and move on.
 */
static double iou_runs(const Rle *a, const Rle *b) {
  uint32_t ia = 1, ib = 1, ra = a->runs[0], rb = b->runs[0], left = 1, step;
  uint64_t inter = 0, uni = 0;
  int va = 0, vb = 0;
  while (left) {
    step = ra < rb ? ra : rb;
    if (va || vb) {
      uni += step;
      if (va && vb) inter += step;
    }
    ra -= step;
    if (!ra && ia < a->n) {
      ra = a->runs[ia++];
      va = !va;
    }
    rb -= step;
    if (!rb && ib < b->n) {
      rb = b->runs[ib++];
      vb = !vb;
    }
    left = ra + rb;
  }
  return uni == 0 ? 1.0 : (double)inter / (double)uni;
}

/* The interval merge Suture's TypeScript uses (foreground [start, end) positions summed on the fly). */
static double iou_intervals(const Rle *a, uint64_t area_a, const Rle *b, uint64_t area_b) {
  uint32_t i = 0, j = 0, na = a->n - 1, nb = b->n - 1;
  uint64_t inter = 0, sa, ea, sb, eb, u;
  if (a->n >= 2 && b->n >= 2) {
    sa = a->runs[0];
    ea = sa + a->runs[1];
    sb = b->runs[0];
    eb = sb + b->runs[1];
    for (;;) {
      if (ea <= sb) {
        i += 2;
        if (i >= na) break;
        sa = ea + a->runs[i];
        ea = sa + a->runs[i + 1];
      } else if (eb <= sa) {
        j += 2;
        if (j >= nb) break;
        sb = eb + b->runs[j];
        eb = sb + b->runs[j + 1];
      } else if (ea < eb) {
        inter += ea - (sa > sb ? sa : sb);
        i += 2;
        if (i >= na) break;
        sa = ea + a->runs[i];
        ea = sa + a->runs[i + 1];
      } else {
        inter += eb - (sa > sb ? sa : sb);
        j += 2;
        if (j >= nb) break;
        sb = eb + b->runs[j];
        eb = sb + b->runs[j + 1];
      }
    }
  }
  u = area_a + area_b - inter;
  return u == 0 ? 1.0 : (double)inter / (double)u;
}

static uint32_t fnv1a(uint32_t hash, const uint8_t *bytes, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    hash ^= bytes[i];
    hash *= 16777619u;
  }
  return hash;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: rle_baseline MASKS_FILE ENCODE_ROUNDS PAIR_ROUNDS REPEATS\n");
    return 2;
  }
  int encode_rounds = atoi(argv[2]), rounds = atoi(argv[3]), repeats = atoi(argv[4]);
  if (encode_rounds <= 0 || rounds <= 0 || repeats <= 0) {
    fprintf(stderr, "rle_baseline: rounds and repeats must be positive\n");
    return 2;
  }
  FILE *file = fopen(argv[1], "rb");
  if (!file) {
    fprintf(stderr, "rle_baseline: cannot open %s\n", argv[1]);
    return 2;
  }
  int32_t header[4];
  if (fread(header, 4, 4, file) != 4 || header[0] <= 0 || header[1] <= 0 || header[2] <= 0 || header[3] <= 0) {
    fprintf(stderr, "rle_baseline: bad header in %s\n", argv[1]);
    return 2;
  }
  uint32_t n_dt = (uint32_t)header[0], n_gt = (uint32_t)header[1], h = (uint32_t)header[2], w = (uint32_t)header[3];
  uint32_t n = n_dt + n_gt, m, x, y, d, g;
  size_t pixels = (size_t)h * w;
  uint8_t *row_major = must_alloc(pixels * n), *column_major = must_alloc(pixels * n);
  if (fread(row_major, 1, pixels * n, file) != pixels * n) {
    fprintf(stderr, "rle_baseline: %s holds fewer than %u masks of %ux%u\n", argv[1], n, w, h);
    return 2;
  }
  fclose(file);
  /* cocoapi takes Fortran-order masks (np.asfortranarray): transpose once, outside the timing. */
  for (m = 0; m < n; m++)
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++) column_major[m * pixels + (size_t)x * h + y] = row_major[m * pixels + (size_t)y * w + x];

  Rle *rles = must_alloc(sizeof(Rle) * n), *parsed = must_alloc(sizeof(Rle) * n);
  char **texts = must_alloc(sizeof(char *) * n);
  uint64_t *areas = must_alloc(sizeof(uint64_t) * n);
  /* Size each mask's buffers once, from an untimed encoding (a 32-bit delta takes at most 7 characters). */
  uint32_t *scratch = must_alloc(sizeof(uint32_t) * (pixels + 1));
  for (m = 0; m < n; m++) {
    rles[m].runs = scratch;
    encode_column_major(column_major + m * pixels, h, w, &rles[m]);
    rles[m].runs = must_alloc(sizeof(uint32_t) * rles[m].n);
    texts[m] = must_alloc(7 * (size_t)rles[m].n + 1);
  }
  free(scratch);
  double *ious = must_alloc(sizeof(double) * n_dt * n_gt), best, t, sink = 0;
  int rep, round;

  /* Encode: mask -> run lengths -> string, as pycocotools' encode returns them. */
  double encode_ms = 1e300, encode_row_major_ms = 1e300;
  for (rep = 0; rep < repeats; rep++) {
    t = now_ms();
    for (round = 0; round < encode_rounds; round++) {
      BARRIER(column_major);
      for (m = 0; m < n; m++) {
        encode_column_major(column_major + m * pixels, h, w, &rles[m]);
        sink += (double)runs_to_string(&rles[m], texts[m]);
      }
    }
    t = now_ms() - t;
    if (t < encode_ms) encode_ms = t;
    t = now_ms();
    for (round = 0; round < encode_rounds; round++) {
      BARRIER(row_major);
      for (m = 0; m < n; m++) {
        encode_row_major(row_major + m * pixels, h, w, &rles[m]);
        sink += (double)runs_to_string(&rles[m], texts[m]);
      }
    }
    t = now_ms() - t;
    if (t < encode_row_major_ms) encode_row_major_ms = t;
  }
  uint32_t runs_hash = 2166136261u, strings_hash = 2166136261u;
  uint64_t total_runs = 0;
  for (m = 0; m < n; m++) {
    uint32_t k;
    areas[m] = 0;
    for (k = 0; k < rles[m].n; k++) {
      uint8_t le[4] = {(uint8_t)rles[m].runs[k], (uint8_t)(rles[m].runs[k] >> 8), (uint8_t)(rles[m].runs[k] >> 16), (uint8_t)(rles[m].runs[k] >> 24)};
      runs_hash = fnv1a(runs_hash, le, 4);
      if (k & 1) areas[m] += rles[m].runs[k];
    }
    total_runs += rles[m].n;
    strings_hash = fnv1a(strings_hash, (const uint8_t *)texts[m], strlen(texts[m]));
    strings_hash = fnv1a(strings_hash, (const uint8_t *)"\n", 1);
    parsed[m].runs = must_alloc(sizeof(uint32_t) * (strlen(texts[m]) + 1));
  }

  /* IoU of every dt mask against every gt mask, from run lengths encoded beforehand. */
  double iou_ms = 1e300, intervals_ms = 1e300, strings_ms = 1e300;
  for (rep = 0; rep < repeats; rep++) {
    t = now_ms();
    for (round = 0; round < rounds; round++) {
      BARRIER(rles);
      for (d = 0; d < n_dt; d++)
        for (g = 0; g < n_gt; g++) ious[d * n_gt + g] = iou_runs(&rles[d], &rles[n_dt + g]);
      sink += ious[0];
    }
    t = now_ms() - t;
    if (t < iou_ms) iou_ms = t;
  }
  for (rep = 0; rep < repeats; rep++) {
    t = now_ms();
    for (round = 0; round < rounds; round++) {
      BARRIER(rles);
      for (d = 0; d < n_dt; d++)
        for (g = 0; g < n_gt; g++) sink += iou_intervals(&rles[d], areas[d], &rles[n_dt + g], areas[n_dt + g]);
    }
    t = now_ms() - t;
    if (t < intervals_ms) intervals_ms = t;
  }
  /* The same matrix from the strings: each string is parsed once per matrix, then the run walk as above. */
  int strings_agree = 1;
  for (rep = 0; rep < repeats; rep++) {
    t = now_ms();
    for (round = 0; round < rounds; round++) {
      BARRIER(texts);
      for (m = 0; m < n; m++) runs_from_string(texts[m], h, w, &parsed[m]);
      for (d = 0; d < n_dt; d++)
        for (g = 0; g < n_gt; g++) {
          double v = iou_runs(&parsed[d], &parsed[n_dt + g]);
          if (v != ious[d * n_gt + g]) strings_agree = 0;
        }
    }
    t = now_ms() - t;
    if (t < strings_ms) strings_ms = t;
  }

  best = (double)n_dt * n_gt * rounds;
  printf("{\"masks\":%u,\"pairs\":%u,\"encodeRounds\":%d,\"pairRounds\":%d,\"repeats\":%d,", n, n_dt * n_gt, encode_rounds, rounds, repeats);
  printf("\"encodeMasksPerSec\":%.1f,\"encodeRowMajorMasksPerSec\":%.1f,", (double)n * encode_rounds / (encode_ms / 1e3), (double)n * encode_rounds / (encode_row_major_ms / 1e3));
  printf("\"iouPairsPerSec\":%.1f,\"iouIntervalsPairsPerSec\":%.1f,\"stringsPairsPerSec\":%.1f,", best / (iou_ms / 1e3), best / (intervals_ms / 1e3), best / (strings_ms / 1e3));
  printf("\"stringsAgree\":%s,\"runsHash\":%u,\"stringsHash\":%u,\"totalRuns\":%llu,\"sink\":%.3f,\"ious\":[", strings_agree ? "true" : "false", runs_hash, strings_hash,
         (unsigned long long)total_runs, sink);
  for (d = 0; d < n_dt * n_gt; d++) printf("%s%.17g", d ? "," : "", ious[d]);
  printf("]}\n");
  return 0;
}
