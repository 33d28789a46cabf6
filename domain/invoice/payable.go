package invoice

// CheckPayable refuses paying the invoice now (a pay-now link) when nothing
// is owed on it: it does not exist, is void, written off or paid.
func (s State) CheckPayable() error { return collectable(s, "be paid") }
