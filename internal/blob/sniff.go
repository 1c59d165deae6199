package blob

import (
	"bytes"
	"net/http"
)

// Sniff returns the media type of content starting with head, from at most
// its first 512 bytes: http.DetectContentType's answer, except that TIFF,
// which scanners produce and DetectContentType does not know (it says
// "application/octet-stream"), is "image/tiff". Text keeps its
// charset parameter ("text/plain; charset=utf-8"); office formats (docx,
// odt) are "application/zip", as their container.
func Sniff(head []byte) string {
	if isTIFF(head) {
		return "image/tiff"
	}
	return http.DetectContentType(head[:min(len(head), sniffLen)])
}

// isTIFF matches the byte-order mark and magic 42 of both TIFF byte orders.
func isTIFF(head []byte) bool {
	return bytes.HasPrefix(head, []byte("II*\x00")) || bytes.HasPrefix(head, []byte("MM\x00*"))
}
