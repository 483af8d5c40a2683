// Copyright 2017 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build amd64 && gc && !purego

package argon2

import "golang.org/x/sys/cpu"

func init() {
	useSSE4 = cpu.X86.HasSSE41
}

//go:noescape
func mixBlocksSSE2(out, a, b, c *block)

//go:noescape
func xorBlocksSSE2(out, a, b, c *block)

//go:noescape
func blamkaSSE4(b *block)

// processBlockSSE is upstream's, except that without SSE4.1 it takes the
// generic path (the same computation upstream inlines here).
func processBlockSSE(out, in1, in2 *block, xor bool) {
	if !useSSE4 {
		processBlockGeneric(out, in1, in2, xor)
		return
	}
	var t block
	mixBlocksSSE2(&t, in1, in2, &t)
	blamkaSSE4(&t)
	if xor {
		xorBlocksSSE2(out, in1, in2, &t)
	} else {
		mixBlocksSSE2(out, in1, in2, &t)
	}
}

func processBlock(out, in1, in2 *block) {
	processBlockSSE(out, in1, in2, false)
}

func processBlockXOR(out, in1, in2 *block) {
	processBlockSSE(out, in1, in2, true)
}
