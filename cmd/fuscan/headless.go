//go:build !ci

package main

// headless is true when Fyne's headless test driver stands in for the
// window (-tags ci).
const headless = false
