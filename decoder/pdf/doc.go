// Package pdf renders the pages of untrusted PDF documents to gray images
// with MuPDF, as go-fitz bundles it, through a thin C layer that keeps
// every MuPDF call inside its error handling and bounds what a hostile
// file can take: by default 32 MiB of input, 50 pages, 40 megapixels a
// page (a larger page is drawn at a lower DPI) and 10 seconds a document
// (a drawing in progress is stopped); always 512 MiB of MuPDF memory a
// document.
//
// Open checks and opens a document; Document.Each visits its pages within
// the bounds and Page.Render draws one, with the Grid that maps its pixels
// back to PDF points. Render does all of it for a caller that only wants
// the page images, such as a replay of scanned files.
//
// # Caveats
//
// A build without cgo has no MuPDF: every function returns ErrNoCgo.
//
// A Document and its Pages are not safe for concurrent use; Render is,
// each call having its own MuPDF context.
//
// The budget is checked before each page and stops a drawing in progress,
// but not loading a page or counting the pages on Open: a document whose
// page tree MuPDF must repair may take longer.
//
// go-fitz does not export MuPDF's headers: mupdf.c copies the
// declarations it needs from the version go-fitz bundles, and a go-fitz
// upgrade to another MuPDF makes Open fail with ErrDamaged ("cannot
// create a MuPDF 1.24.9 context") until they are brought up to date.
package pdf
