package blob_test

import (
	"archive/zip"
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"mime"
	"net/http"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/blob"
)

func TestSniff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		head []byte
		want string
	}{
		{"PDF", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), "application/pdf"},
		{"PNG", encodedPNG(t), "image/png"},
		{"JPEG", encodedJPEG(t), "image/jpeg"},
		{"TIFFLittleEndian", []byte("II*\x00\x08\x00\x00\x00\x0f\x00\x00\x01\x03\x00"), "image/tiff"},
		{"TIFFBigEndian", []byte("MM\x00*\x00\x00\x00\x08\x00\x0f\x01\x00\x00\x03"), "image/tiff"},
		{"TIFFMagicCutShortIsText", []byte("II*"), "text/plain; charset=utf-8"},
		{"PlainText", []byte("Madame, Monsieur,\nJe vous écris au sujet de ma réclamation.\n"), "text/plain; charset=utf-8"},
		{"DocxStaysZip", docx(t), "application/zip"},
		{"UnknownBinary", []byte{0x00, 0x01, 0x02, 0x03, 0xfe, 0xff, 0x10, 0x11}, "application/octet-stream"},
		{"OnlyFirst512BytesCount", append([]byte(strings.Repeat("a", 512)), 0x00, 0x01, 0x02), "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := blob.Sniff(tt.head); got != tt.want {
				t.Errorf("Sniff(%.16q) = %q, want %q", tt.head, got, tt.want)
			}
		})
	}
}

func encodedPNG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodedJPEG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// docx builds the start of an office document: a ZIP whose first entry is
// [Content_Types].xml.
func docx(t *testing.T) []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	w, err := z.Create("[Content_Types].xml")
	if err == nil {
		_, err = w.Write([]byte(`<?xml version="1.0"?><Types/>`))
	}
	if err == nil {
		err = z.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Seeds live in testdata/fuzz/FuzzSniff.
func FuzzSniff(f *testing.F) {
	f.Fuzz(func(t *testing.T, head []byte) {
		got := blob.Sniff(head)
		if _, _, err := mime.ParseMediaType(got); err != nil {
			t.Fatalf("Sniff(%q) = %q, not a media type: %v", head, got, err)
		}
		if len(head) > 512 && blob.Sniff(head[:512]) != got {
			t.Fatalf("Sniff(%q) looked past 512 bytes", head)
		}
		if got != "image/tiff" && got != http.DetectContentType(head) {
			t.Fatalf("Sniff(%q) = %q, but only TIFF may differ from DetectContentType", head, got)
		}
		tiff := bytes.HasPrefix(head, []byte("II*\x00")) || bytes.HasPrefix(head, []byte("MM\x00*"))
		if (got == "image/tiff") != tiff {
			t.Fatalf("Sniff(%q) = %q; TIFF magic present: %t", head, got, tiff)
		}
	})
}
