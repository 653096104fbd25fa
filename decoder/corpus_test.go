package decoder

import (
	_ "embed"
	"flag"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fuscan/fuscan/decoder/scene"
	"github.com/fuscan/fuscan/internal/race"
)

var corpusN = flag.Int("corpus", 0, "samples per corpus category in TestCorpus (0: the category's own N, 8 with -short)")

// minRates are the read rates TestCorpus holds the decoder to, per
// category of the generated corpus, over each category's N samples: just
// below what it reads, so that a regression fails and an improvement
// shows (raise the figure with it). Measured with every step of the
// ladder (a frozen clock, no budget). On the same frames zxing-cpp 1.4
// reads 31/32 clean, 35/40 dense, 36/36 rotated, 30/30 perspective, 19/30
// blur, 29/30 noise, 15/30 lowlight, 24/30 glare, 16/30 moire, 20/30
// colored (as gray), 0/24 inverted, 30/30 clutter, 24/24 jpeg and 24/24
// 1080p; zbar 0.23 reads 32, 39, 36, 16, 17, 22, 9, 28, 27, 27, 0, 27, 24
// and 24. On dense720 and dense1080 (the frames scripts/speed.sh times)
// zxing-cpp reads 51/60 and 38/40, zbar 60/60 and 40/40.
var minRates = map[string]float64{
	"clean":       1,
	"dense":       1,
	"rotated":     1,
	"perspective": 0.8,
	"blur":        0.75,
	"noise":       0.95,
	"lowlight":    0.5,
	"glare":       0.9,
	"moire":       0.8,
	"colored":     1,
	"inverted":    1,
	"clutter":     1,
	"jpeg":        1,
	"1080p":       1,
	"dense720":    1,
	"dense1080":   1,
	"empty":       0, // must find nothing at all
}

// maxEmptyMisses is how many frames of the empty category may make the
// decoder report a miss: decoys among clutter seldom outline a code with
// timing patterns, and a hint then shows where nobody is. It reports 1.
const maxEmptyMisses = 2

// shortSlack is how far below minRates -short, with its few samples per
// category, may fall.
const shortSlack = 0.25

// corpusTexts holds the code texts the corpus and the benchmarks draw,
// one a line: real credentials of every kind (live v9, card v10, dynamic
// v13, DCC v13 and v16), signed once by keys that are gone, and frozen so
// that the frames, and so the read rates, never change between runs or
// when the sample issuer changes. The decoder reads texts; it never checks
// their signatures.
//
//go:embed testdata/corpus-texts.txt
var corpusTexts string

// sampleTexts returns the corpus texts. (The package's tests name their
// own card text sample.)
func sampleTexts() []string { return strings.Split(strings.TrimSuffix(corpusTexts, "\n"), "\n") }

// corpusResult is what decoding one sample gave.
type corpusResult struct {
	i     int
	read  bool     // the sample's text was among the codes
	wrong []string // texts that are not the sample's
	step  string
	took  time.Duration
	miss  *Miss // what Options.Missed reported, if anything
}

// TestCorpus decodes every category of the generated corpus and checks
// the read rate against minRates, and that no returned text is ever wrong:
// an empty frame gives nothing, a frame with a code only its text.
func TestCorpus(t *testing.T) {
	for _, cat := range scene.Categories(sampleTexts()) {
		t.Run(cat.Name, func(t *testing.T) {
			t.Parallel()
			want, ok := minRates[cat.Name]
			if !ok {
				t.Fatalf("no minimum rate for category %q: add one to minRates", cat.Name)
			}
			n := cat.N
			switch {
			case *corpusN > 0:
				n = *corpusN
			case race.Enabled:
				n = min(n, 2)
			case testing.Short():
				n = min(n, 8)
			}
			results := decodeCorpus(cat, n)
			read, steps, advice := 0, map[string]int{}, map[string]int{}
			var missed []string
			for _, r := range results {
				if r.miss != nil {
					advice[r.miss.Advice().String()]++
				}
				for _, w := range r.wrong {
					t.Errorf("sample %d: got wrong text %.40q…", r.i, w)
				}
				if r.read {
					read++
					steps[r.step]++
				} else {
					missed = append(missed, fmt.Sprint(r.i))
				}
			}
			rate := float64(read) / float64(n)
			if cat.Name == "empty" {
				t.Logf("%d frames, nothing read; advice %v", n, advice)
				if hinted := sum(slices.Collect(maps.Values(advice))); hinted > maxEmptyMisses {
					t.Errorf("Missed called for %d frames without a code, want %d at most", hinted, maxEmptyMisses)
				}
				return
			}
			t.Logf("read %d of %d (%.0f%%) by step %v; missed %s, advice %v", read, n, 100*rate, steps, strings.Join(missed, " "), advice)
			if race.Enabled {
				return
			}
			if testing.Short() && *corpusN == 0 {
				want -= shortSlack
			}
			if rate < want-1e-9 {
				t.Errorf("read %d of %d (%.2f), want a rate of at least %.2f", read, n, rate, want)
			}
		})
	}
}

// decodeCorpus renders and decodes the first n samples of cat, in
// parallel, each worker with its own Decoder. The clock is frozen, so
// every step of the ladder runs whatever the machine's load: the result
// depends on the pixels alone.
func decodeCorpus(cat scene.Category, n int) []corpusResult {
	frozen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	jobs := make(chan int)
	out := make(chan corpusResult)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var miss *Miss
			d := New(&Options{Now: func() time.Time { return frozen }, Missed: func(m Miss) { miss = &m }})
			for i := range jobs {
				s := cat.Make(i)
				miss = nil
				start := time.Now()
				codes, err := d.Decode(s.Image)
				r := corpusResult{i: i, took: time.Since(start), miss: miss}
				if err != nil {
					r.wrong = append(r.wrong, "error: "+err.Error())
				}
				for _, c := range codes {
					if c.Text != s.Text || s.Text == "" {
						r.wrong = append(r.wrong, c.Text)
						continue
					}
					r.read, r.step = true, c.Step
				}
				out <- r
			}
		}()
	}
	go func() {
		for i := 0; i < n; i++ {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		close(out)
	}()
	var rs []corpusResult
	for r := range out {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].i < rs[j].i })
	return rs
}
