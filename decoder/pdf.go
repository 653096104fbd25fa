package decoder

/*
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The few MuPDF declarations this file needs, as MuPDF 1.24.9's headers
// (bundled with go-fitz v1.24.15) have them. go-fitz does not export its
// include directory to other packages, and its own API cannot be used on
// hostile files: it calls MuPDF functions that throw outside any fz_try,
// and MuPDF ends the process on an uncaught error. fz_new_context_imp
// refuses a library of another version, so a go-fitz upgrade that changes
// these fails cleanly, in TestPDFMuPDFVersion ("cannot create a MuPDF
// 1.24.9 context"), rather than in memory.
#define FUSCAN_FZ_VERSION "1.24.9"

typedef struct fz_context fz_context;
typedef struct fz_document fz_document;
typedef struct fz_page fz_page;
typedef struct fz_stream fz_stream;
typedef struct fz_device fz_device;
typedef struct fz_pixmap fz_pixmap;
typedef struct fz_colorspace fz_colorspace;
typedef struct fz_separations fz_separations;
typedef struct { float x0, y0, x1, y1; } fz_rect;
typedef struct { int x0, y0, x1, y1; } fz_irect;
typedef struct { float a, b, c, d, e, f; } fz_matrix;
typedef struct {
	int abort;
	int progress;
	size_t progress_max;
	int errors;
	int incomplete;
} fz_cookie;
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

// fuscan_new copies data, which MuPDF reads for as long as the document
// is open; it returns NULL when out of memory.
static fuscan_pdf *fuscan_new(const void *data, size_t len, size_t limit) {
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

// fuscan_open returns 0 when the document is open, 1 when it needs a
// password, -1 with err set when it cannot be opened.
static int fuscan_open(fuscan_pdf *p, size_t len, size_t max_store) {
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

static int fuscan_count(fuscan_pdf *p) {
	volatile int n = -1;
	fz_try(p->ctx)
		n = fz_count_pages(p->ctx, p->doc);
	fz_catch(p->ctx) {
		fuscan_caught(p);
		return -1;
	}
	return n;
}

// fuscan_load loads page i and its bounds in points; NULL with err set on
// failure.
static fz_page *fuscan_load(fuscan_pdf *p, int i, fz_rect *bounds) {
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

static void fuscan_drop_page(fuscan_pdf *p, fz_page *page) { fz_drop_page(p->ctx, page); }

// fuscan_render draws page at scale into samples: one gray byte a pixel of
// box, already white. It returns 0 when drawn, -2 when the cookie aborted
// it, -1 with err set on failure.
static int fuscan_render(fuscan_pdf *p, fz_page *page, float scale, fz_irect box, unsigned char *samples) {
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

static void fuscan_abort(fuscan_pdf *p) { __atomic_store_n(&p->cookie.abort, 1, __ATOMIC_SEQ_CST); }

static void fuscan_close(fuscan_pdf *p) {
	if (p->ctx) {
		fz_drop_document(p->ctx, p->doc);
		fz_drop_stream(p->ctx, p->stm);
		fz_drop_context(p->ctx);
	}
	free(p->data);
	free(p);
}
*/
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/makiuchi-d/gozxing"
	qrdecoder "github.com/makiuchi-d/gozxing/qrcode/decoder"
	qrdetector "github.com/makiuchi-d/gozxing/qrcode/detector"

	// The MuPDF library that the C code above links with.
	_ "github.com/gen2brain/go-fitz"
)

// Errors of DecodePDF, returned wrapped with detail.
var (
	ErrNotPDF          = errors.New("decoder: pdf: not a PDF")
	ErrPDFTooLarge     = errors.New("decoder: pdf: file too large")
	ErrPDFEncrypted    = errors.New("decoder: pdf: encrypted, needs a password")
	ErrPDFDamaged      = errors.New("decoder: pdf: damaged")
	ErrPDFNoPages      = errors.New("decoder: pdf: no pages")
	ErrPDFTooManyPages = errors.New("decoder: pdf: too many pages")
	ErrPDFBudget       = errors.New("decoder: pdf: time budget spent")
)

// PDFOptions bounds and tunes DecodePDF; nil means the defaults.
type PDFOptions struct {
	// DPI is the resolution pages are rendered at. Zero: 150, which puts
	// about 4.5 pixels on a module of the densest codes qrcard prints on
	// a sheet of cards.
	DPI float64
	// RetryDPI is the resolution a page is rendered again at when nothing
	// was read on it at DPI, or when finder patterns are left once the
	// codes read are painted out. Zero: 300. A RetryDPI not above DPI
	// turns the retry off.
	RetryDPI float64
	// MaxPages is the number of pages decoded; the rest are skipped, with
	// an error wrapping ErrPDFTooManyPages. Zero: 50.
	MaxPages int
	// MaxPixels bounds a rendered page: a page that would be larger at the
	// DPI asked for is rendered at a lower one. Zero, or more than the
	// package's MaxPixels: 40 megapixels (A4 at 600 DPI is 35).
	MaxPixels int
	// MaxBytes bounds the input. Zero: 32 MiB.
	MaxBytes int
	// Budget is the time the whole document may take. Pages are not
	// started, and a page being drawn is stopped, once it is spent; the
	// codes found so far are returned with an error wrapping ErrPDFBudget.
	// Zero: 10 seconds.
	Budget time.Duration
	// Now is the clock of the budget. Nil: time.Now. (The ladder measures
	// a page's share of the budget with time.Now.)
	Now func() time.Time
}

// Defaults of PDFOptions.
const (
	DefaultPDFDPI       = 150
	DefaultPDFRetryDPI  = 300
	DefaultPDFMaxPages  = 50
	DefaultPDFMaxPixels = 40_000_000
	DefaultPDFMaxBytes  = 32 << 20
	DefaultPDFBudget    = 10 * time.Second
)

// Bounds of MuPDF's own memory for one document, apart from the input and
// the rendered page: enough for any honest document of cards, and an
// error, not an exhausted machine, for a hostile one.
const (
	mupdfMemory = 512 << 20
	mupdfStore  = 64 << 20
)

func (o *PDFOptions) resolved() PDFOptions {
	var r PDFOptions
	if o != nil {
		r = *o
	}
	if r.DPI <= 0 {
		r.DPI = DefaultPDFDPI
	}
	if r.RetryDPI == 0 {
		r.RetryDPI = DefaultPDFRetryDPI
	}
	if r.MaxPages <= 0 {
		r.MaxPages = DefaultPDFMaxPages
	}
	if r.MaxPixels <= 0 || r.MaxPixels > MaxPixels {
		r.MaxPixels = DefaultPDFMaxPixels
	}
	if r.MaxBytes <= 0 {
		r.MaxBytes = DefaultPDFMaxBytes
	}
	if r.Budget <= 0 {
		r.Budget = DefaultPDFBudget
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	return r
}

// DecodePDF renders each page of the PDF document data and returns the
// codes found on them, page by page. A code's Page counts from 1 and its
// Points are in PDF points (1/72 inch) from the top left corner of the page
// as a viewer shows it (MediaBox origin, /Rotate and /UserUnit applied), y
// downwards, whatever the resolution the page was read at.
//
// A document that cannot be read at all gives no codes and an error
// wrapping ErrNotPDF, ErrPDFTooLarge, ErrPDFEncrypted, ErrPDFDamaged or
// ErrPDFNoPages. A document read in part — pages over MaxPages, a spent
// budget, a damaged page — gives the codes of the pages read and an error
// wrapping ErrPDFTooManyPages, ErrPDFBudget or ErrPDFDamaged that says
// what was left out. A damaged file that MuPDF can repair is read as
// repaired. A code read at RetryDPI has its Step prefixed with "300dpi:".
//
// DecodePDF is safe for concurrent use: each call has its own MuPDF
// context, bounded to 512 MiB of memory besides the input and the page
// image.
func DecodePDF(data []byte, opts *PDFOptions) ([]Code, error) {
	r, n, err := pdfStart(data, opts)
	if err != nil {
		return nil, err
	}
	defer r.doc.close()
	err = r.each(n, r.page)
	return r.codes, err
}

// pdfStart checks and opens data and counts its pages, for a reader whose
// budget starts now. The caller closes r.doc.
func pdfStart(data []byte, opts *PDFOptions) (r *pdfReader, pages int, err error) {
	o := opts.resolved()
	if err := pdfCheck(data, o.MaxBytes); err != nil {
		return nil, 0, err
	}
	doc, err := pdfOpen(data)
	if err != nil {
		return nil, 0, err
	}
	n, err := doc.count()
	if err != nil {
		doc.close()
		return nil, 0, err
	}
	return &pdfReader{doc: doc, o: o, deadline: o.Now().Add(o.Budget)}, n, nil
}

// pdfCheck rejects what is not worth handing to MuPDF, which would repair
// any bytes into an empty document.
func pdfCheck(data []byte, maxBytes int) error {
	if len(data) == 0 {
		return fmt.Errorf("%w: empty input", ErrNotPDF)
	}
	if len(data) > maxBytes {
		return fmt.Errorf("%w: %d bytes, over the limit of %d", ErrPDFTooLarge, len(data), maxBytes)
	}
	// Readers accept a header anywhere in the first kilobyte.
	if !bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")) {
		return fmt.Errorf("%w: no %%PDF- header", ErrNotPDF)
	}
	return nil
}

// pdfDoc is an open MuPDF document.
type pdfDoc struct{ p *C.fuscan_pdf }

func pdfOpen(data []byte) (*pdfDoc, error) {
	p := C.fuscan_new(unsafe.Pointer(&data[0]), C.size_t(len(data)), mupdfMemory)
	if p == nil {
		return nil, fmt.Errorf("%w: out of memory for %d bytes", ErrPDFDamaged, len(data))
	}
	d := &pdfDoc{p: p}
	switch C.fuscan_open(p, C.size_t(len(data)), mupdfStore) {
	case 0:
		return d, nil
	case 1:
		d.close()
		return nil, ErrPDFEncrypted
	}
	err := fmt.Errorf("%w: %s", ErrPDFDamaged, d.err())
	d.close()
	return nil, err
}

func (d *pdfDoc) err() string { return C.GoString(&d.p.err[0]) }

func (d *pdfDoc) count() (int, error) {
	n := int(C.fuscan_count(d.p))
	if n < 0 {
		return 0, fmt.Errorf("%w: %s", ErrPDFDamaged, d.err())
	}
	if n == 0 {
		return 0, ErrPDFNoPages
	}
	return n, nil
}

func (d *pdfDoc) close() { C.fuscan_close(d.p) }

// pdfPage is a loaded page and its bounds in points.
type pdfPage struct {
	p                     *C.fz_page
	x0, y0, width, height float64
}

func (d *pdfDoc) load(i int) (*pdfPage, error) {
	var r C.fz_rect
	p := C.fuscan_load(d.p, C.int(i), &r)
	if p == nil {
		return nil, fmt.Errorf("%w: page %d: %s", ErrPDFDamaged, i+1, d.err())
	}
	pg := &pdfPage{p: p, x0: float64(r.x0), y0: float64(r.y0),
		width: float64(r.x1) - float64(r.x0), height: float64(r.y1) - float64(r.y0)}
	if !(pg.width >= 1 && pg.height >= 1) || math.IsInf(pg.width*pg.height, 0) {
		d.drop(pg)
		return nil, fmt.Errorf("%w: page %d: unusable size %gx%g pt", ErrPDFDamaged, i+1, pg.width, pg.height)
	}
	return pg, nil
}

func (d *pdfDoc) drop(pg *pdfPage) { C.fuscan_drop_page(d.p, pg.p) }

// fit returns the scale, in pixels per point, that renders pg at dpi, or
// lower so as to make at most maxPixels, and the pixels the page covers at
// that scale, rounded outwards as MuPDF rounds.
func (pg *pdfPage) fit(dpi float64, maxPixels int) (float64, image.Rectangle, error) {
	// Rounding outwards adds at most 2 to each side, so the scale s must
	// have (W·s+2)·(H·s+2) ≤ maxPixels: a quadratic, solved in a form
	// that stays exact for very long, thin pages.
	w, h, m := pg.width, pg.height, float64(maxPixels)
	scale := min(dpi/72, (m-4)/((w+h)+math.Sqrt((w+h)*(w+h)+w*h*(m-4))))
	x0, y0, x1, y1 := pg.x0*scale, pg.y0*scale, (pg.x0+w)*scale, (pg.y0+h)*scale
	if !(scale > 0) || max(math.Abs(x0), math.Abs(y0), math.Abs(x1), math.Abs(y1)) > 1<<30 {
		return 0, image.Rectangle{}, fmt.Errorf("a page of %gx%g pt at %g, %g cannot be drawn", w, h, pg.x0, pg.y0)
	}
	box := image.Rect(int(math.Floor(x0+0.001)), int(math.Floor(y0+0.001)), int(math.Ceil(x1-0.001)), int(math.Ceil(y1-0.001)))
	if box.Dx() <= 0 || box.Dy() <= 0 || box.Dx()*box.Dy() > maxPixels {
		return 0, image.Rectangle{}, fmt.Errorf("a page of %gx%g pt cannot be drawn in %d pixels", w, h, maxPixels)
	}
	return scale, box, nil
}

// errPDFAborted is a render stopped by the budget.
var errPDFAborted = errors.New("aborted")

// A pdfRendering is a page drawn into pixels.
type pdfRendering struct {
	img    *image.Gray // pixel (0, 0) is origin of the page's pixel grid
	origin image.Point
	scale  float64 // pixels per point
}

// point returns the page position, in points, of pixel position p.
func (r *pdfRendering) point(p Point) Point {
	return Point{X: (p.X + float64(r.origin.X)) / r.scale, Y: (p.Y + float64(r.origin.Y)) / r.scale}
}

// pixel returns the pixel position of page position p.
func (r *pdfRendering) pixel(p Point) Point {
	return Point{X: p.X*r.scale - float64(r.origin.X), Y: p.Y*r.scale - float64(r.origin.Y)}
}

// render draws pg at dpi, lowered so that the image has at most maxPixels.
// The budget's deadline aborts the drawing.
func (d *pdfDoc) render(pg *pdfPage, dpi float64, maxPixels int, deadline time.Time, now func() time.Time) (*pdfRendering, error) {
	scale, box, err := pg.fit(dpi, maxPixels)
	if err != nil {
		return nil, err
	}
	w, h := box.Dx(), box.Dy()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	d.p.cookie.abort = 0
	aborted := make(chan struct{})
	timer := time.AfterFunc(deadline.Sub(now()), func() {
		C.fuscan_abort(d.p)
		close(aborted)
	})
	cbox := C.fz_irect{x0: C.int(box.Min.X), y0: C.int(box.Min.Y), x1: C.int(box.Max.X), y1: C.int(box.Max.Y)}
	rc := C.fuscan_render(d.p, pg.p, C.float(scale), cbox, (*C.uchar)(unsafe.Pointer(&img.Pix[0])))
	if !timer.Stop() {
		<-aborted // d.p must outlive the abort
	}
	switch rc {
	case 0:
		return &pdfRendering{img: img, origin: box.Min, scale: scale}, nil
	case -2:
		return nil, errPDFAborted
	}
	return nil, errors.New(d.err())
}

// pdfReader reads the pages of one document.
type pdfReader struct {
	doc      *pdfDoc
	o        PDFOptions
	deadline time.Time
	codes    []Code
	failed   []error // pages that could not be read
}

// each calls page with the index of each page of a document of n, up to
// MaxPages, while the budget lasts, and returns what was left out. A page
// whose error is a *pdfStop ends the document: each returns its err.
func (r *pdfReader) each(n int, page func(i int) error) error {
	pages := min(n, r.o.MaxPages)
	var errs []error
	for i := 0; i < pages; i++ {
		if !r.o.Now().Before(r.deadline) {
			errs = append(errs, fmt.Errorf("%w: %v, after %d of %d pages", ErrPDFBudget, r.o.Budget, i, pages))
			break
		}
		var stop *pdfStop
		if err := page(i); errors.Is(err, errPDFAborted) {
			errs = append(errs, fmt.Errorf("%w: %v, during page %d of %d", ErrPDFBudget, r.o.Budget, i+1, pages))
			break
		} else if errors.As(err, &stop) {
			return stop.err
		} else if err != nil {
			r.failed = append(r.failed, err)
		}
	}
	if len(r.failed) > 0 {
		err := r.failed[0]
		if more := len(r.failed) - 1; more > 0 {
			err = fmt.Errorf("%w (and %d more pages)", err, more)
		}
		errs = append(errs, err)
	}
	if n > pages {
		errs = append(errs, fmt.Errorf("%w: %d, read the first %d", ErrPDFTooManyPages, n, pages))
	}
	return pdfJoin(errs)
}

// page decodes page i at DPI, then again at RetryDPI when nothing was
// found or finder patterns are left unread, with the codes already read
// painted out.
func (r *pdfReader) page(i int) error {
	pg, err := r.doc.load(i)
	if err != nil {
		return err
	}
	defer r.doc.drop(pg)
	codes, unread, err := r.decode(pg, i, r.o.DPI, nil, true)
	r.codes = append(r.codes, codes...)
	if err != nil || len(codes) > 0 && !unread {
		return err
	}
	// A page as large as the pixel cap is drawn no finer at RetryDPI.
	first, _, _ := pg.fit(r.o.DPI, r.o.MaxPixels)
	if again, _, _ := pg.fit(r.o.RetryDPI, r.o.MaxPixels); again < first*1.1 {
		return nil
	}
	more, _, err := r.decode(pg, i, r.o.RetryDPI, codes, false)
	for j := range more {
		more[j].Step = fmt.Sprintf("%gdpi:%s", r.o.RetryDPI, more[j].Step)
	}
	r.codes = append(r.codes, more...)
	return err
}

// decode renders pg at dpi, paints out the codes read already, and returns
// the codes it finds, in page points. With check, unread reports finder
// patterns left on the page once they are painted out too.
func (r *pdfReader) decode(pg *pdfPage, i int, dpi float64, read []Code, check bool) (codes []Code, unread bool, err error) {
	rd, err := r.doc.render(pg, dpi, r.o.MaxPixels, r.deadline, r.o.Now)
	if errors.Is(err, errPDFAborted) {
		return nil, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("%w: page %d: %v", ErrPDFDamaged, i+1, err)
	}
	var painted []pdfArea
	for _, c := range read {
		c.Points = slices.Clone(c.Points)
		for j, p := range c.Points {
			c.Points[j] = rd.pixel(p)
		}
		if a, ok := pdfAreaOf(c); ok {
			a.paint(rd.img)
			painted = append(painted, a)
		}
	}
	codes, err = pdfDecodeAll(rd.img, painted, r.deadline, r.o.Now)
	if err != nil {
		return nil, false, fmt.Errorf("%w: page %d: %v", ErrPDFDamaged, i+1, err)
	}
	if check && len(codes) > 0 {
		unread = pdfFinderPatterns(rd.img)
	}
	for j := range codes {
		codes[j].Page = i + 1
		for k, p := range codes[j].Points {
			codes[j].Points[k] = rd.point(p)
		}
	}
	return codes, unread, nil
}

// pdfFinderPatterns reports whether gozxing finds three finder patterns in
// img: a code that the ladder saw but could not read, when the codes it
// read are painted out.
func pdfFinderPatterns(img *image.Gray) bool {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	src, err := gozxing.NewPlanarYUVLuminanceSource(img.Pix, img.Stride, h, 0, 0, w, h, false)
	if err != nil {
		return false
	}
	m, err := gozxing.NewHybridBinarizer(src).GetBlackMatrix()
	if err != nil {
		return false
	}
	_, err = qrdetector.NewFinderPatternFinder(m, nil).Find(map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	return err == nil
}

// pdfMaxPasses bounds the passes of pdfDecodeAll over one image.
const pdfMaxPasses = 64

// pdfDecodeAll decodes img with the ladder in Multi mode, pass after pass
// until one finds nothing new or the deadline passes. Before each pass the
// codes read so far are painted white, so that every code of a sheet is
// read even by a pass that returns only some of them (or only the first).
// painted are areas painted already; img is changed.
func pdfDecodeAll(img *image.Gray, painted []pdfArea, deadline time.Time, now func() time.Time) ([]Code, error) {
	var all []Code
	for pass := 0; pass < pdfMaxPasses; pass++ {
		budget := deadline.Sub(now())
		if pass > 0 && budget <= 0 {
			break
		}
		// The ladder measures its share of the budget on the wall clock.
		codes, err := New(&Options{Multi: true, Budget: max(budget, time.Millisecond)}).Decode(img)
		if err != nil {
			return all, err
		}
		more := false
		for _, c := range codes {
			a, ok := pdfAreaOf(c)
			if !ok {
				// Unpaintable, it would be read again in the next pass.
				return append(all, c), nil
			}
			if slices.ContainsFunc(painted, func(p pdfArea) bool { return p.contains(a.centre()) }) {
				continue // read again through the paint: not new
			}
			all, painted, more = append(all, c), append(painted, a), true
			a.paint(img)
		}
		if !more {
			break
		}
	}
	return all, nil
}

// A pdfArea is the area of a code in an image: the parallelogram
// o + a·u + b·v for a and b in [-margin, 1+margin], where o is the centre
// of the finder pattern at the corner and u and v go to the centres of
// the other two.
type pdfArea struct {
	o, u, v Point
	margin  float64
}

// pdfAreaOf returns the area of c from its first three points, which are
// the centres of its finder patterns; it reports false when they do not
// make a usable triangle.
func pdfAreaOf(c Code) (pdfArea, bool) {
	if len(c.Points) < 3 {
		return pdfArea{}, false
	}
	p := c.Points[:3]
	// The corner is the vertex opposite the longest side.
	corner := 0
	longest := -1.0
	for i := range 3 {
		a, b := p[(i+1)%3], p[(i+2)%3]
		if d := math.Hypot(a.X-b.X, a.Y-b.Y); d > longest {
			corner, longest = i, d
		}
	}
	o, a, b := p[corner], p[(corner+1)%3], p[(corner+2)%3]
	r := pdfArea{o: o, u: Point{a.X - o.X, a.Y - o.Y}, v: Point{b.X - o.X, b.Y - o.Y}}
	if math.Abs(r.u.X*r.v.Y-r.u.Y*r.v.X) < 1 || math.IsNaN(longest) || math.IsInf(longest, 0) {
		return pdfArea{}, false
	}
	// The finder centres are 3.5 modules in from the symbol's edge, and a
	// symbol of dimension n has n-7 modules between them. Going 4.5
	// modules out takes in the finder patterns and a module of quiet zone;
	// the smallest symbol that can hold the text bounds the module size.
	r.margin = 4.5 / float64(pdfMinSide(c.Text)-7)
	return r, true
}

// centre returns the centre of the code.
func (r pdfArea) centre() Point {
	return Point{r.o.X + (r.u.X+r.v.X)/2, r.o.Y + (r.u.Y+r.v.Y)/2}
}

// coords returns a and b such that p = o + a·u + b·v.
func (r pdfArea) coords(p Point) (a, b float64) {
	det := r.u.X*r.v.Y - r.u.Y*r.v.X
	dx, dy := p.X-r.o.X, p.Y-r.o.Y
	return (dx*r.v.Y - dy*r.v.X) / det, (r.u.X*dy - r.u.Y*dx) / det
}

func (r pdfArea) contains(p Point) bool {
	a, b := r.coords(p)
	lo, hi := -r.margin, 1+r.margin
	return a >= lo && a <= hi && b >= lo && b <= hi
}

// paint whitens the area in img: the pixels whose centres it contains.
func (r pdfArea) paint(img *image.Gray) {
	lo, hi := -r.margin, 1+r.margin
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, ab := range [][2]float64{{lo, lo}, {lo, hi}, {hi, lo}, {hi, hi}} {
		y := r.o.Y + ab[0]*r.u.Y + ab[1]*r.v.Y
		minY, maxY = math.Min(minY, y), math.Max(maxY, y)
	}
	b := img.Bounds()
	y0, y1 := max(b.Min.Y, int(math.Floor(minY))), min(b.Max.Y, int(math.Ceil(maxY))+1)
	det := r.u.X*r.v.Y - r.u.Y*r.v.X
	for y := y0; y < y1; y++ {
		// Along the row's centre line a and b (see coords) are linear in
		// x: a = a0 + da·x, b = b0 + db·x.
		dy := float64(y) + 0.5 - r.o.Y
		a0, da := (-r.o.X*r.v.Y-dy*r.v.X)/det, r.v.Y/det
		b0, db := (r.u.X*dy+r.o.X*r.u.Y)/det, -r.u.Y/det
		ax0, ax1, aok := pdfSpan(a0, da, lo, hi)
		bx0, bx1, bok := pdfSpan(b0, db, lo, hi)
		// Pixel x is painted when its centre x+0.5 is in both spans.
		from := math.Max(math.Max(ax0, bx0)-0.5, float64(b.Min.X))
		to := math.Min(math.Min(ax1, bx1)-0.5, float64(b.Max.X-1))
		if !aok || !bok || !(math.Ceil(from) <= math.Floor(to)) {
			continue
		}
		row := img.Pix[img.PixOffset(int(math.Ceil(from)), y) : img.PixOffset(int(math.Floor(to)), y)+1]
		for i := range row {
			row[i] = 0xff
		}
	}
}

// pdfSpan returns the x for which lo ≤ c + d·x ≤ hi; ok is false when
// there are none.
func pdfSpan(c, d, lo, hi float64) (x0, x1 float64, ok bool) {
	if d == 0 {
		return math.Inf(-1), math.Inf(1), c >= lo && c <= hi
	}
	x0, x1 = (lo-c)/d, (hi-c)/d
	if x0 > x1 {
		x0, x1 = x1, x0
	}
	return x0, x1, true
}

// pdfMinSide returns the side, in modules, of the smallest QR symbol
// that can hold text: digits at 10/3 bits, the pdfAlphanumeric set at 5.5,
// other ASCII at 8 and other characters at 4 bits per UTF-8 byte (Kanji
// mode's 13 bits for a 3-byte character, or a Latin-1 byte), at level L.
func pdfMinSide(text string) int {
	bits := 0.0
	for _, c := range text {
		switch {
		case c >= '0' && c <= '9':
			bits += 10.0 / 3
		case c < 0x80 && strings.ContainsRune(pdfAlphanumeric, c):
			bits += 5.5
		case c < 0x80:
			bits += 8
		default:
			bits += 4 * float64(utf8.RuneLen(c))
		}
	}
	need := int(math.Ceil(bits / 8))
	for n := 1; n <= 40; n++ {
		v, err := qrdecoder.Version_GetVersionForNumber(n)
		if err != nil {
			break
		}
		if v.GetTotalCodewords()-v.GetECBlocksForLevel(qrdecoder.ErrorCorrectionLevel_L).GetTotalECCodewords() >= need {
			return v.GetDimensionForVersion()
		}
	}
	return 177
}

// pdfAlphanumeric is the QR pdfAlphanumeric character set.
const pdfAlphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// pdfJoin joins errs into one error that wraps them all, with the
// "decoder: pdf: " prefix said once.
func pdfJoin(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
		if i > 0 {
			msgs[i] = strings.TrimPrefix(msgs[i], "decoder: pdf: ")
		}
	}
	return &pdfJoined{msg: strings.Join(msgs, "; "), errs: errs}
}

type pdfJoined struct {
	msg  string
	errs []error
}

func (e *pdfJoined) Error() string   { return e.msg }
func (e *pdfJoined) Unwrap() []error { return e.errs }
