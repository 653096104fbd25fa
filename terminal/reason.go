package terminal

// Reason is a stable code saying why a decision was made. Logs, metrics,
// the hub and third-party tools rely on these strings: never change one.
type Reason string

// The reasons. The verdict each gives is in the table of reasons, and the
// policy may change it where docs/credential-format.md says so.
const (
	OK                Reason = "OK"                  // pass: all checks hold
	ColorYellow       Reason = "COLOR_YELLOW"        // yellow code (policy: warn)
	ColorRed          Reason = "COLOR_RED"           // red code (policy: deny)
	Expired           Reason = "EXPIRED"             // past its expiry or the policy cap
	NotYetValid       Reason = "NOT_YET_VALID"       // issued in the future, or a future time step
	StaleCode         Reason = "STALE_CODE"          // a live code too old, or a dynamic code of a past step: a screenshot
	SigInvalid        Reason = "SIG_INVALID"         // a signature does not verify: forged or damaged
	KeyUnknown        Reason = "KEY_UNKNOWN"         // no trusted key has this kid
	KeyNotAllowed     Reason = "KEY_NOT_ALLOWED"     // the key may not sign this kind, issuer or time
	Revoked           Reason = "REVOKED"             // the card serial is revoked
	NATTooOld         Reason = "NAT_TOO_OLD"         // no nucleic-acid test within the policy window
	NATPositive       Reason = "NAT_POSITIVE"        // the latest nucleic-acid test is positive
	VaxMissing        Reason = "VAX_MISSING"         // fewer vaccine doses than the policy needs
	TravelRisk        Reason = "TRAVEL_RISK"         // the 14-day travel record touches a risk area
	Replayed          Reason = "REPLAYED"            // this dynamic code was already presented here
	ClockUntrusted    Reason = "CLOCK_UNTRUSTED"     // the terminal's clock is not set or went back
	TrustStale        Reason = "TRUST_STALE"         // the trust data is past its expiry
	FormatUnknown     Reason = "FORMAT_UNKNOWN"      // not a health code this terminal knows
	FormatNotAccepted Reason = "FORMAT_NOT_ACCEPTED" // a known format this venue does not accept
	Malformed         Reason = "MALFORMED"           // a known format, damaged or tampered with
	TerminalFault     Reason = "TERMINAL_FAULT"      // the terminal could not complete a check (refer)
)

type texts struct{ zh, en string }

// messages are shown to staff and travellers: they say what happened and
// what to do, and never echo anything from the code.
var messages = map[Reason]texts{
	OK:                {"核验通过，请通行", "Verified. Please go ahead."},
	ColorYellow:       {"黄码：请工作人员核查", "Yellow code: staff will check with you."},
	ColorRed:          {"红码：禁止通行，请联系工作人员", "Red code: entry not allowed. Please speak to staff."},
	Expired:           {"码已过期，请刷新或重新申领", "Code expired. Please refresh it or get a new one."},
	NotYetValid:       {"码尚未生效，请核对手机时间后刷新", "Code not valid yet. Check your phone's time and refresh."},
	StaleCode:         {"码已失效（截图无效），请打开实时码", "Code out of date (screenshots don't work). Please show the live code."},
	SigInvalid:        {"码无法验证，可能是伪造或损坏", "Code could not be verified: it may be forged or damaged."},
	KeyUnknown:        {"无法识别签发机构，请出示其他健康码", "Issuer not recognised. Please show another health code."},
	KeyNotAllowed:     {"签发机构无权签发此类码", "The issuer may not issue this kind of code."},
	Revoked:           {"此码已被撤销，请重新申领", "This code has been revoked. Please get a new one."},
	NATTooOld:         {"核酸检测结果超出时效", "No nucleic-acid test within the required time."},
	NATPositive:       {"核酸检测结果异常，请联系工作人员", "Nucleic-acid test result not negative. Please speak to staff."},
	VaxMissing:        {"疫苗接种剂次不足", "Not enough vaccine doses recorded."},
	TravelRisk:        {"行程涉及风险地区，请工作人员核查", "Travel record includes a risk area: staff will check with you."},
	Replayed:          {"此码已使用过，请刷新后重试", "This code was already used. Please refresh it and try again."},
	ClockUntrusted:    {"终端时间不可信，请工作人员人工核验", "Terminal clock not trusted: staff will check by hand."},
	TrustStale:        {"核验数据过期，请工作人员人工核验", "Verification data out of date: staff will check by hand."},
	FormatUnknown:     {"无法识别的二维码，请出示健康码", "Not a recognised health code. Please show your health code."},
	FormatNotAccepted: {"本场所不接受此类码，请出示健康码", "This venue does not accept this kind of code. Please show your health code."},
	Malformed:         {"码无法读取或已被篡改", "Code could not be read, or it has been altered."},
	TerminalFault:     {"终端故障，请工作人员人工核验", "Terminal fault: staff will check by hand."},
}

// Reasons returns every reason code, for documentation, metrics and tests.
func Reasons() []Reason {
	return []Reason{OK, ColorYellow, ColorRed, Expired, NotYetValid, StaleCode, SigInvalid,
		KeyUnknown, KeyNotAllowed, Revoked, NATTooOld, NATPositive, VaxMissing, TravelRisk,
		Replayed, ClockUntrusted, TrustStale, FormatUnknown, FormatNotAccepted, Malformed, TerminalFault}
}

// Message returns the reason's text in lang ("zh" or "zh-CN"; anything else
// gives English).
func (r Reason) Message(lang string) string {
	t, ok := messages[r]
	if !ok {
		t = texts{"请工作人员核验", "Please speak to staff."}
	}
	if lang == "zh" || lang == "zh-CN" {
		return t.zh
	}
	return t.en
}
