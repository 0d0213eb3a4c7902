#!/bin/sh
# Writes a gzipped man page from a program's own --help output, so the page cannot drift from the flags:
#   manpage.sh cli BINARY OUT.1.gz VERSION    outlierlab-cli: every command's --help
#   manpage.sh gui BINARY OUT.1.gz VERSION    outlierlab: Qt's command-line help (run offscreen)
set -eu
mode=$1 bin=$2 out=$3 version=$4
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# troff-safe text: backslashes doubled, minus signs escaped, a leading dot or quote neutralised.
p() { printf '%s\n' "$*"; }
esc() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\([.']\)/\\\\\&\1/"; }

# "  --name ARG   help" lines of a --help output after its "flags:" line, as .TP entries.
flags() {
  awk '/^flags:/ { on = 1; next }
       on && /^  --/ {
         line = substr($0, 3)
         split(line, parts, /  +/)
         spec = parts[1]; help = substr(line, length(spec) + 1); sub(/^ +/, "", help)
         n = split(spec, w, " ")
         printf ".TP\n.B %s", w[1]; if (n > 1) printf " \\fI%s\\fR", w[2]; printf "\n%s\n", help
       }' | sed -e 's/-/\\-/g' -e 's/\\fI\(.*\)\\fR/\\fI\1\\fR/' -e "s/^\([.']\)\([^TB]\)/\\\\\&\1\2/"
}

if [ "$mode" = cli ]; then
  {
    p ".TH OUTLIERLAB\\-CLI 1 \"$date\" \"OutlierLab $version\" \"User Commands\""
    p ".SH NAME"
    p "outlierlab\\-cli \\- find activation outliers in LLaMA\\-family models, quantize and evaluate them"
    p ".SH SYNOPSIS"
    p ".B outlierlab\\-cli"
    p ".I command"
    p "[\\fIflags\\fR]"
    p ".br"
    p ".B outlierlab\\-cli"
    p "\\fIcommand\\fR \\-\\-help | \\-\\-version"
    p ".SH DESCRIPTION"
    p "The headless side of OutlierLab: calibration statistics in HDF5 sessions, outlier reports, the"
    p "DuQuant, RUQuant, RPTQ, SmoothQuant and RTN methods layer by layer with resume and export, and"
    p "perplexity, zero\\-shot tasks, MMLU and generation on FP models and quantized exports."
    p "Every command prints its flags with \\fB\\-\\-help\\fR; this page is generated from that output."
    p ".SH COMMANDS"
    "$bin" 2>&1 | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' | while read -r cmd; do
      summary=$("$bin" 2>&1 | awk -v c="$cmd" '$1 == c { $1 = ""; sub(/^ +/, ""); print }')
      p ".SS $cmd"
      p "$summary" | esc
      p ".PP"
      "$bin" "$cmd" --help > "$tmp"
      awk 'NR > 1 && /^flags:/ { exit } NR > 1 && NF { print }' "$tmp" | esc
      flags < "$tmp"
    done
    p ".SH ENVIRONMENT"
    p ".TP"
    p ".B OUTLIERLAB_RESOURCES"
    p "folder of the bundled demo model and corpus (default: ../share/outlierlab beside the program)"
    p ".TP"
    p ".B OUTLIERLAB_PLUGIN_PATH"
    p "extra folders of method plugins (default: ../lib/outlierlab/plugins beside the program)"
    p ".SH EXIT STATUS"
    p "0 success, 1 a bad file or a run\\-time failure, 2 bad flags or parameters, 130 cancelled."
    p ".SH SEE ALSO"
    p ".BR outlierlab (1)"
  } > "$out.tmp"
else
  QT_QPA_PLATFORM=offscreen "$bin" --help 2>/dev/null > "$tmp"
  {
    p ".TH OUTLIERLAB 1 \"$date\" \"OutlierLab $version\" \"User Commands\""
    p ".SH NAME"
    p "outlierlab \\- workbench for activation outliers and low\\-bit quantization of LLaMA\\-family models"
    p ".SH SYNOPSIS"
    p ".B outlierlab"
    p "[\\fIoptions\\fR] [\\fImodel\\fR | \\fIsession.h5\\fR]"
    p ".SH DESCRIPTION"
    sed -n '2p' "$tmp" | esc
    p ".PP"
    p "Opens the model or session given (a llama2.c .bin file, a Hugging Face directory or an OutlierLab"
    p "session), or the bundled demo model, calibrates it and shows every layer's massive and normal"
    p "outliers; the Tune dock previews a method on a layer, Run \\(-> Quantize & Export quantizes,"
    p "evaluates and exports in the background."
    p ".SH OPTIONS"
    awk '/^Options:/ { on = 1; next } /^Arguments:/ { on = 0 } on && /^  -/ {
           line = substr($0, 3); split(line, parts, /  +/); spec = parts[1]
           help = substr(line, length(spec) + 1); sub(/^ +/, "", help)
           printf ".TP\n.B %s\n%s\n", spec, help }' "$tmp" | sed 's/-/\\-/g'
    p ".SH ARGUMENTS"
    awk '/^Arguments:/ { on = 1; next } on && NF { print }' "$tmp" | sed -e 's/^ *//' -e 's/-/\\-/g' | tr '\n' ' '
    p ""
    p ".SH SEE ALSO"
    p ".BR outlierlab\\-cli (1)"
  } > "$out.tmp"
fi
gzip -9n < "$out.tmp" > "$out"
rm -f "$out.tmp"
