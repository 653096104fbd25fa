//go:build ci

package main

const headless = true
