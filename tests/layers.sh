#!/bin/sh
# make lint: no #include in src/ runs upward. The layers are the table
# at the top of src/posta.h ("N name: module module ..." lines, and
# continuation lines); a file belongs to the module its name says and
# may include the headers of its own layer and of the layers below.
# Exit 1 with one line per include that runs upward or file that is in
# no layer.
set -eu
cd "$(dirname "$0")/.."
awk '
function modname(path,    m) {
	m = path
	sub(/.*\//, "", m)
	sub(/\.[ch]$/, "", m)
	return m
}
FILENAME == "src/posta.h" && FNR == NR {
	if ($0 ~ /^ \*\t[0-9]+ [a-z]+:/) {
		cur = $2 + 0
		for (i = 4; i <= NF; i++)
			layer[$i] = cur
		next
	}
	if (cur != "" && $0 ~ /^ \*\t +[a-z]/) {
		for (i = 2; i <= NF; i++)
			layer[$i] = cur
		next
	}
	cur = ""
	next
}
/^#include "[a-z0-9_]+\.h"/ {
	inc = $2
	gsub(/"/, "", inc)
	n++
	from[n] = FILENAME
	to[n] = modname(inc)
	line[n] = FNR
}
FNR == 1 { files[FILENAME] = 1 }
END {
	bad = 0
	if (length(layer) == 0) {
		print "layers: no layer table in src/posta.h"
		exit 1
	}
	for (f in files) {
		if (!(modname(f) in layer)) {
			printf "%s: module %s is in no layer of src/posta.h\n",
			    f, modname(f)
			bad = 1
		}
	}
	for (i = 1; i <= n; i++) {
		m = modname(from[i])
		if (!(m in layer) || !(to[i] in layer))
			continue
		if (layer[to[i]] > layer[m]) {
			printf "%s:%d: includes %s.h (layer %d) from layer %d\n",
			    from[i], line[i], to[i], layer[to[i]], layer[m]
			bad = 1
		}
	}
	exit bad
}
' src/posta.h src/*.c src/*.h
