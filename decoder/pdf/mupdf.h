// The guarded MuPDF layer under document.go: the types Go reads and the
// functions it calls. mupdf.c holds the MuPDF declarations they need.

#ifndef FUSCAN_MUPDF_H
#define FUSCAN_MUPDF_H

#include <stddef.h>

typedef struct fz_context fz_context;
typedef struct fz_document fz_document;
typedef struct fz_page fz_page;
typedef struct fz_stream fz_stream;
typedef struct { float x0, y0, x1, y1; } fz_rect;
typedef struct { int x0, y0, x1, y1; } fz_irect;
typedef struct {
	int abort;
	int progress;
	size_t progress_max;
	int errors;
	int incomplete;
} fz_cookie;

// A fuscan_pdf is one open document with its own context, allocator and
// cookie. The allocator counts bytes and fails beyond limit, which MuPDF
// turns into an error (after emptying its store) instead of letting a
// hostile file take the machine's memory.
typedef struct {
	fz_context *ctx;
	fz_stream *stm;
	fz_document *doc;
	unsigned char *data;
	fz_cookie cookie;
	size_t used, limit;
	char err[256];
} fuscan_pdf;

// fuscan_new copies data, which MuPDF reads for as long as the document
// is open; it returns NULL when out of memory.
fuscan_pdf *fuscan_new(const void *data, size_t len, size_t limit);

// fuscan_open returns 0 when the document is open, 1 when it needs a
// password, -1 with err set when it cannot be opened.
int fuscan_open(fuscan_pdf *p, size_t len, size_t max_store);

// fuscan_count returns the number of pages, or -1 with err set.
int fuscan_count(fuscan_pdf *p);

// fuscan_load loads page i, counting from 0, and its bounds in points;
// NULL with err set on failure.
fz_page *fuscan_load(fuscan_pdf *p, int i, fz_rect *bounds);

void fuscan_drop_page(fuscan_pdf *p, fz_page *page);

// fuscan_render draws page at scale into samples: one gray byte a pixel of
// box, already white. It returns 0 when drawn, -2 when the cookie aborted
// it, -1 with err set on failure.
int fuscan_render(fuscan_pdf *p, fz_page *page, float scale, fz_irect box, unsigned char *samples);

// fuscan_abort stops a fuscan_render running on another thread.
void fuscan_abort(fuscan_pdf *p);

void fuscan_close(fuscan_pdf *p);

#endif
