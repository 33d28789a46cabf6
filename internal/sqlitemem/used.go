package sqlitemem

// SQLite's own counters, from the library go-sqlite3 links in (the symbols
// resolve against its objects when the program is linked).

/*
#include <stdint.h>
extern int64_t sqlite3_memory_used(void);
extern int64_t sqlite3_memory_highwater(int resetFlag);
*/
import "C"

// Used is the memory SQLite has allocated in this process now, in bytes:
// every connection's page cache, schema and statements.
func Used() int64 { return int64(C.sqlite3_memory_used()) }
