package sample

// MakeTexts issues Texts afresh, for the test that they are deterministic.
var MakeTexts = makeTexts
