package auth

// ContainsCardNumber reports whether b holds anything that looks like a
// payment card number: a run of 13 to 19 digits, alone or in groups
// separated by single spaces or dashes, not part of a longer word or number,
// starting with 2 to 6 (the major networks) and passing the Luhn check.
// Remit never stores one: the web layer refuses any request body that holds
// one, before it can reach the log.
func ContainsCardNumber(b []byte) bool {
	i := 0
	for i < len(b) {
		if !isDigit(b[i]) {
			i++
			continue
		}
		partOfWord := i > 0 && isWordByte(b[i-1])
		var digits []byte
		j := i
		for j < len(b) {
			if isDigit(b[j]) {
				digits = append(digits, b[j])
				j++
			} else if (b[j] == ' ' || b[j] == '-') && j+1 < len(b) && isDigit(b[j+1]) {
				j++
			} else {
				break
			}
		}
		partOfWord = partOfWord || (j < len(b) && (isWordByte(b[j]) || b[j] == '.'))
		if !partOfWord && len(digits) >= 13 && len(digits) <= 19 && digits[0] >= '2' && digits[0] <= '6' && luhn(digits) {
			return true
		}
		i = j
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isWordByte reports whether c joins digits into a longer token (an id, a
// reference, a decimal amount).
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '.'
}

func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}
