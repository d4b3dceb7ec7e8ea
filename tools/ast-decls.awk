# Reads `clang -Xclang -ast-dump` text and prints the top-level C declarations as tab-separated
# rows with the header each came from: func/var/typedef/enum/record/field (used by the .ci checks).

# Rows:  func NAME FILE TYPE STORAGE | var NAME FILE TYPE STORAGE | typedef NAME FILE TYPE CANON
#        enum NAME FILE | record ID FILE REF | field ID NAME TYPE
# REF is how C code names a record: "struct tag", or the typedef name of an anonymous struct.
# clang prints a source file name only when it changes, so the current file is tracked across
# every location on every line (quoted type strings, which may contain paths, are ignored).

function first_quoted(s) {
	if (match(s, /'[^']*'/))
		return substr(s, RSTART + 1, RLENGTH - 2)
	return ""
}

function second_quoted(s,    rest) {
	if (!match(s, /'[^']*'/))
		return ""
	rest = substr(s, RSTART + RLENGTH)
	if (substr(rest, 1, 1) != ":")
		return ""
	return first_quoted(rest)
}

# the declared name: the last word before the first quote
function decl_name(s,    head, n, w) {
	head = s
	if (index(head, "'") > 0)
		head = substr(head, 1, index(head, "'") - 1)
	n = split(head, w, " ")
	return w[n]
}

# words after the last quote: storage class and inline
function trailer(s,    i) {
	i = length(s)
	while (i > 0 && substr(s, i, 1) != "'")
		i--
	return substr(s, i + 1)
}

function track_file(s,    rest, loc) {
	gsub(/'[^']*'/, "", s)
	rest = s
	while (match(rest, /\/[^ :<>,]+:[0-9]+:[0-9]+/)) {
		loc = substr(rest, RSTART, RLENGTH)
		sub(/:[0-9]+:[0-9]+$/, "", loc)
		file = loc
		rest = substr(rest, RSTART + RLENGTH)
	}
}

# an anonymous record is named by the typedef that follows it
function flush_record(next_typedef_name) {
	if (pending_id == "")
		return
	if (pending_ref == "" && next_typedef_name != "")
		pending_ref = next_typedef_name
	if (pending_ref != "")
		printf "record\t%s\t%s\t%s\n", pending_id, pending_file, pending_ref
	pending_id = ""
}

BEGIN { OFS = "\t"; file = ""; records = 0; pending_id = ""; in_record = ""; in_enum = 0 }

{
	line = $0
	track_file(line)
}

/^[|`]-/ {
	kind = line
	sub(/^[|`]-/, "", kind)
	sub(/ .*/, "", kind)
	name = decl_name(line)
	tdname = (kind == "TypedefDecl") ? name : ""
	flush_record(tdname)
	in_record = ""
	in_enum = (kind == "EnumDecl")
	bare = line
	gsub(/'[^']*'/, "", bare)
	if (index(bare, " implicit ") > 0)
		next
	if (kind == "FunctionDecl" || kind == "VarDecl") {
		storage = trailer(line)
		gsub(/^ +| +$/, "", storage)
		print (kind == "FunctionDecl" ? "func" : "var"), name, file, first_quoted(line), storage
	} else if (kind == "TypedefDecl") {
		canon = second_quoted(line)
		print "typedef", name, file, first_quoted(line), (canon == "" ? first_quoted(line) : canon)
	} else if (kind == "RecordDecl" && bare ~ / definition$/) {
		records++
		id = "r" records
		tag = ""
		if (match(bare, /(struct|union) [A-Za-z_][A-Za-z0-9_]* definition$/)) {
			tag = substr(bare, RSTART, RLENGTH)
			sub(/ definition$/, "", tag)
		}
		pending_id = id
		pending_ref = tag
		pending_file = file
		in_record = id
	}
	next
}

/^[| ] [|`]-/ {
	kind = line
	sub(/^[| ] [|`]-/, "", kind)
	sub(/ .*/, "", kind)
	if (in_enum && kind == "EnumConstantDecl")
		print "enum", decl_name(line), file
	if (in_record != "" && (kind == "FieldDecl" || kind == "IndirectFieldDecl")) {
		n = decl_name(line)
		if (kind == "FieldDecl" && n == "implicit")
			next
		print "field", in_record, n, first_quoted(line)
	}
}

END { flush_record("") }
