package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/config"
	"github.com/guichet/guichet/internal/testdb"
)

type attachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	Direction   string `json:"direction"`
}

// scan is the start of a PDF, as a scanner writes it, padded to n bytes.
func scan(n int) []byte {
	b := bytes.Repeat([]byte("0"), n)
	copy(b, "%PDF-1.7\n% courrier scanné\n")
	return b
}

func uploadMultipart(env *apitest.Env, token, ticketID, name string, content []byte, query string) *apitest.Response {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("note", "ignored")
	part, _ := w.CreateFormFile("file", name)
	_, _ = part.Write(content)
	_ = w.Close()
	return env.Do(apitest.Req{Method: http.MethodPost, Path: "/tickets/" + ticketID + "/attachments" + query, Token: token,
		Body: body.Bytes(), Headers: map[string]string{"Content-Type": w.FormDataContentType()}})
}

func uploadRaw(env *apitest.Env, token, ticketID string, content []byte, query string) *apitest.Response {
	return env.Do(apitest.Req{Method: http.MethodPost, Path: "/tickets/" + ticketID + "/attachments" + query, Token: token,
		Body: content, Headers: map[string]string{"Content-Type": "application/octet-stream"}})
}

func download(t *testing.T, env *apitest.Env, token, ticketID, id string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.URL+"/tickets/"+ticketID+"/attachments/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestAttachments(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b, func(c *config.Config) { c.MaxAttachmentBytes = 4 << 20 })
		p := team(t, env)
		tk := createTicket(t, env, p.agent, map[string]any{"subject": "Courrier du syndic", "channel": "letter", "category": "routine_request",
			"file_reference": "DOS-2026-0101"})

		t.Run("ScannedLetterStreamedSniffedAndHashed", func(t *testing.T) {
			content := scan(3 << 20) // over the 1 MiB JSON body limit
			var a attachment
			uploadMultipart(env, p.agent, tk.ID, "courrier.pdf", content, "").Expect(t, http.StatusCreated).JSON(t, &a)
			sum := sha256.Sum256(content)
			if a.ContentType != "application/pdf" || a.Size != int64(len(content)) || a.SHA256 != hex.EncodeToString(sum[:]) || a.Filename != "courrier.pdf" || a.Direction != "incoming" {
				t.Fatalf("attachment %+v", a)
			}
			resp := download(t, env, p.agent, tk.Number, a.ID)
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(got, content) || resp.Header.Get("Content-Type") != "application/pdf" ||
				resp.Header.Get("ETag") != `"`+a.SHA256+`"` || resp.Header.Get("Content-Disposition") != `attachment; filename=courrier.pdf` {
				t.Fatalf("download: %d, %d bytes, %v", resp.StatusCode, len(got), resp.Header)
			}
			var again attachment
			uploadMultipart(env, p.agent, tk.ID, "courrier-bis.pdf", content, "").Expect(t, http.StatusOK).JSON(t, &again)
			if again.ID != a.ID {
				t.Fatal("a retried upload made a second attachment")
			}
		})
		t.Run("RawBodyWithFilename", func(t *testing.T) {
			var a attachment
			uploadRaw(env, p.agent, tk.ID, []byte("Réponse du syndic, texte brut."), "?filename=reponse.txt&direction=outgoing").Expect(t, http.StatusCreated).JSON(t, &a)
			if a.ContentType != "text/plain; charset=utf-8" || a.Direction != "outgoing" {
				t.Fatalf("raw upload %+v", a)
			}
			uploadRaw(env, p.agent, tk.ID, []byte("sans nom"), "").Expect(t, http.StatusUnprocessableEntity)
		})
		t.Run("TooLargeOrEmptyKeepsNothing", func(t *testing.T) {
			uploadRaw(env, p.agent, tk.ID, scan(4<<20+1), "?filename=gros.pdf").Expect(t, http.StatusRequestEntityTooLarge)
			uploadMultipart(env, p.agent, tk.ID, "vide.pdf", nil, "").Expect(t, http.StatusUnprocessableEntity)
			uploadMultipart(env, p.agent, "T-1999-000001", "x.pdf", scan(10), "").Expect(t, http.StatusNotFound)
			var list struct {
				Items []attachment `json:"items"`
			}
			env.Get(p.agent, "/tickets/"+tk.ID+"/attachments").Expect(t, http.StatusOK).JSON(t, &list)
			if len(list.Items) != 2 {
				t.Fatalf("%d attachments, want the 2 accepted ones", len(list.Items))
			}
		})
		t.Run("OutgoingLetterCarriesItsScan", func(t *testing.T) {
			reply := map[string]any{"channel": "letter", "body": "Réponse point par point.", "file_reference": "DOS-2026-0101"}
			problem := env.Post(p.agent, "/tickets/"+tk.ID+"/replies", reply).Expect(t, http.StatusUnprocessableEntity).Problem(t)
			if fieldsOf(problem)[0] != "attachment_ids" {
				t.Fatalf("a letter reply without its scan: %v", fieldsOf(problem))
			}
			var a attachment
			uploadMultipart(env, p.agent, tk.ID, "reponse-signee.pdf", scan(2048), "?direction=outgoing").Expect(t, http.StatusCreated).JSON(t, &a)
			reply["attachment_ids"] = []string{a.ID}
			env.Post(p.agent, "/tickets/"+tk.ID+"/replies", reply).Expect(t, http.StatusCreated)
			other := createTicket(t, env, p.agent, map[string]any{"subject": "Autre", "channel": "phone", "category": "other"})
			env.Post(p.agent, "/tickets/"+other.ID+"/replies", map[string]any{"channel": "letter", "body": "x", "attachment_ids": []string{a.ID}}).Expect(t, http.StatusUnprocessableEntity)
		})
	})
}
