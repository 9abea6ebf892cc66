# Sums up the skips internal/testtool recorded during `make test`: one
# line per missing tool, naming how many tests did not run and how to get
# it. Input lines: KIND <tab> NAME <tab> HINT <tab> VERB <tab> TEST.
# POSIX awk (FreeBSD's awk, mawk, gawk); run with -F '\t'.
{
	key = $1 "\t" $2
	hint[key] = $3
	verb[key] = $4
	if ($4 == "failed")
		failed = 1
	if (!((key, $5) in seen)) {
		seen[key, $5] = 1
		n[key]++
	}
	if (!($5 in tests)) {
		tests[$5] = 1
		total++
	}
}
END {
	for (key in n) {
		split(key, kn, "\t")
		printf "NEEDS %s %s: %d test%s %s (%s)\n", kn[1], kn[2], n[key], (n[key] == 1 ? "" : "s"), verb[key], hint[key] | "sort"
	}
	close("sort")
	if (total > 0 && failed)
		printf "%d test%s failed for want of the above (CI=true: a missing tool is a failure)\n", total, (total == 1 ? "" : "s")
	else if (total > 0)
		printf "%d test%s did not run for want of the above; under CI=true each is a failure\n", total, (total == 1 ? "" : "s")
}
