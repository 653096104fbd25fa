// Package qrcard renders fuscan code texts as QR images and as printable
// 福码卡 (offline health card) PDFs.
//
// Code texts are uppercase Base45 strings with a prefix such as "FSC1:".
// Every character of them is in the QR alphanumeric set, so the encoder packs
// them at 5.5 bits a character: a 700-character code fits a version-17 symbol
// at level M. Lowercase letters or other characters still encode, but in byte
// mode and so in a larger symbol.
//
// [Image] and [WritePNG] produce black-on-white rasters for screens.
// [WriteCardPDF] prints one A6 card per page and [WriteSheetPDF] lays out
// eight cards on each A4 page for batch printing. The PDFs come from a small
// writer in this package: the QR is drawn as vector rectangles, Latin text in
// Helvetica and Chinese text in STSong-Light.
//
// # Caveats
//
// Neither font is embedded, which keeps a card to a few kilobytes and the
// package free of font files. Helvetica is one of the standard fonts every PDF
// viewer has. STSong-Light is one of Adobe's standard Chinese fonts: Acrobat
// and most printers supply it, but a viewer without a Chinese font shows its
// text as blanks, boxes or even wrong letters: MuPDF built without its CJK
// fonts, as go-fitz ships it, draws 福码卡 as "y x Sa". The QR code and the
// Latin text do not depend on it.
//
// Characters outside Windows-1252 and Unicode's Basic Multilingual Plane, and
// control characters, are printed as "?". A line too long for its place on
// the card is shrunk to fit, not wrapped.
package qrcard
