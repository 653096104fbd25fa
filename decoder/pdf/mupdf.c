//go:build cgo

// The MuPDF calls of package pdf, each inside fz_try: MuPDF ends the
// process on an error thrown outside one.
//
// The few MuPDF declarations needed are copied here as MuPDF 1.24.9's
// headers (bundled with go-fitz v1.24.15) have them: go-fitz does not
// export its include directory to other packages, and its own API cannot
// be used on hostile files, as it calls MuPDF functions that throw outside
// any fz_try. fz_new_context_imp refuses a library of another version, so
// a go-fitz upgrade that changes these fails cleanly, in TestMuPDFVersion
// ("cannot create a MuPDF 1.24.9 context"), rather than in memory.

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mupdf.h"

#define FUSCAN_FZ_VERSION "1.24.9"

typedef struct fz_device fz_device;
typedef struct fz_pixmap fz_pixmap;
typedef struct fz_colorspace fz_colorspace;
typedef struct fz_separations fz_separations;
typedef struct { float a, b, c, d, e, f; } fz_matrix;
typedef struct {
	void *user;
	void *(*malloc)(void *, size_t);
	void *(*realloc)(void *, void *, size_t);
	void (*free)(void *, void *);
} fz_alloc_context;
typedef void (fz_error_cb)(void *user, const char *message);

fz_context *fz_new_context_imp(const fz_alloc_context *alloc, const void *locks, size_t max_store, const char *version);
void fz_drop_context(fz_context *ctx);
void fz_set_error_callback(fz_context *ctx, fz_error_cb *cb, void *user);
void fz_set_warning_callback(fz_context *ctx, fz_error_cb *cb, void *user);
sigjmp_buf *fz_push_try(fz_context *ctx);
int fz_do_try(fz_context *ctx);
int fz_do_always(fz_context *ctx);
int fz_do_catch(fz_context *ctx);
const char *fz_caught_message(fz_context *ctx);
void fz_report_error(fz_context *ctx);
fz_stream *fz_open_memory(fz_context *ctx, const unsigned char *data, size_t len);
void fz_drop_stream(fz_context *ctx, fz_stream *stm);
fz_document *pdf_open_document_with_stream(fz_context *ctx, fz_stream *file);
void fz_drop_document(fz_context *ctx, fz_document *doc);
int fz_needs_password(fz_context *ctx, fz_document *doc);
int fz_count_pages(fz_context *ctx, fz_document *doc);
fz_page *fz_load_page(fz_context *ctx, fz_document *doc, int number);
void fz_drop_page(fz_context *ctx, fz_page *page);
fz_rect fz_bound_page(fz_context *ctx, fz_page *page);
fz_colorspace *fz_device_gray(fz_context *ctx);
fz_pixmap *fz_new_pixmap_with_bbox_and_data(fz_context *ctx, fz_colorspace *cs, fz_irect rect, fz_separations *seps, int alpha, unsigned char *samples);
void fz_drop_pixmap(fz_context *ctx, fz_pixmap *pix);
fz_device *fz_new_draw_device(fz_context *ctx, fz_matrix transform, fz_pixmap *dest);
void fz_run_page(fz_context *ctx, fz_page *page, fz_device *dev, fz_matrix transform, fz_cookie *cookie);
void fz_close_device(fz_context *ctx, fz_device *dev);
void fz_drop_device(fz_context *ctx, fz_device *dev);

#define fz_try(ctx) if (!sigsetjmp(*fz_push_try(ctx), 0)) if (fz_do_try(ctx)) do
#define fz_always(ctx) while (0); if (fz_do_always(ctx)) do
#define fz_catch(ctx) while (0); if (fz_do_catch(ctx))

// Each block carries its size in a 16-byte header, which keeps malloc's
// alignment.
enum { fuscan_header = 16 };

static void *fuscan_malloc(void *user, size_t size) {
	fuscan_pdf *p = user;
	if (size > p->limit - p->used)
		return NULL;
	size_t *h = malloc(size + fuscan_header);
	if (!h)
		return NULL;
	*h = size;
	p->used += size;
	return (char *)h + fuscan_header;
}

static void fuscan_free(void *user, void *ptr) {
	fuscan_pdf *p = user;
	if (!ptr)
		return;
	size_t *h = (size_t *)((char *)ptr - fuscan_header);
	p->used -= *h;
	free(h);
}

static void *fuscan_realloc(void *user, void *ptr, size_t size) {
	fuscan_pdf *p = user;
	if (!ptr)
		return fuscan_malloc(user, size);
	if (size == 0) {
		fuscan_free(user, ptr);
		return NULL;
	}
	size_t *h = (size_t *)((char *)ptr - fuscan_header);
	size_t old = *h;
	if (size > old && size - old > p->limit - p->used)
		return NULL;
	h = realloc(h, size + fuscan_header);
	if (!h)
		return NULL;
	*h = size;
	p->used = p->used - old + size;
	return (char *)h + fuscan_header;
}

// MuPDF's messages go to stderr by default; the caller gets them as errors.
static void fuscan_quiet(void *user, const char *message) {}

static void fuscan_caught(fuscan_pdf *p) {
	snprintf(p->err, sizeof p->err, "%s", fz_caught_message(p->ctx));
	fz_report_error(p->ctx);
}

fuscan_pdf *fuscan_new(const void *data, size_t len, size_t limit) {
	fuscan_pdf *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->data = malloc(len);
	if (!p->data) {
		free(p);
		return NULL;
	}
	memcpy(p->data, data, len);
	p->limit = limit;
	return p;
}

int fuscan_open(fuscan_pdf *p, size_t len, size_t max_store) {
	fz_alloc_context alloc = {p, fuscan_malloc, fuscan_realloc, fuscan_free};
	volatile int locked = 0;
	p->ctx = fz_new_context_imp(&alloc, NULL, max_store, FUSCAN_FZ_VERSION);
	if (!p->ctx) {
		snprintf(p->err, sizeof p->err, "cannot create a MuPDF %s context", FUSCAN_FZ_VERSION);
		return -1;
	}
	fz_set_error_callback(p->ctx, fuscan_quiet, NULL);
	fz_set_warning_callback(p->ctx, fuscan_quiet, NULL);
	fz_try(p->ctx) {
		p->stm = fz_open_memory(p->ctx, p->data, len);
		p->doc = pdf_open_document_with_stream(p->ctx, p->stm);
		locked = fz_needs_password(p->ctx, p->doc);
	}
	fz_catch(p->ctx) {
		fuscan_caught(p);
		return -1;
	}
	return locked ? 1 : 0;
}

int fuscan_count(fuscan_pdf *p) {
	volatile int n = -1;
	fz_try(p->ctx)
		n = fz_count_pages(p->ctx, p->doc);
	fz_catch(p->ctx) {
		fuscan_caught(p);
		return -1;
	}
	return n;
}

fz_page *fuscan_load(fuscan_pdf *p, int i, fz_rect *bounds) {
	fz_page *volatile page = NULL;
	fz_try(p->ctx) {
		page = fz_load_page(p->ctx, p->doc, i);
		*bounds = fz_bound_page(p->ctx, page);
	}
	fz_catch(p->ctx) {
		fz_drop_page(p->ctx, page);
		fuscan_caught(p);
		return NULL;
	}
	return page;
}

void fuscan_drop_page(fuscan_pdf *p, fz_page *page) { fz_drop_page(p->ctx, page); }

int fuscan_render(fuscan_pdf *p, fz_page *page, float scale, fz_irect box, unsigned char *samples) {
	fz_pixmap *volatile pix = NULL;
	fz_device *volatile dev = NULL;
	fz_matrix ctm = {scale, 0, 0, scale, 0, 0};
	fz_matrix identity = {1, 0, 0, 1, 0, 0};
	fz_try(p->ctx) {
		pix = fz_new_pixmap_with_bbox_and_data(p->ctx, fz_device_gray(p->ctx), box, NULL, 0, samples);
		dev = fz_new_draw_device(p->ctx, ctm, pix);
		fz_run_page(p->ctx, page, dev, identity, &p->cookie);
		fz_close_device(p->ctx, dev);
	}
	fz_always(p->ctx) {
		fz_drop_device(p->ctx, dev);
		fz_drop_pixmap(p->ctx, pix);
	}
	fz_catch(p->ctx) {
		if (p->cookie.abort) {
			fz_report_error(p->ctx);
			return -2;
		}
		fuscan_caught(p);
		return -1;
	}
	return p->cookie.abort ? -2 : 0;
}

void fuscan_abort(fuscan_pdf *p) { __atomic_store_n(&p->cookie.abort, 1, __ATOMIC_SEQ_CST); }

void fuscan_close(fuscan_pdf *p) {
	if (p->ctx) {
		fz_drop_document(p->ctx, p->doc);
		fz_drop_stream(p->ctx, p->stm);
		fz_drop_context(p->ctx);
	}
	free(p->data);
	free(p);
}
