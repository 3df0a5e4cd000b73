#!/usr/bin/python3
"""The reference for news(1)'s sentiment: NLTK's VADER (Debian's python3-nltk) over a lexicon
file. Reads NDJSON lines with a "headline" on stdin; writes {"headline":..,"compound":..} per
line, compound as NLTK rounds it (4 decimals).

Usage: vader_reference.py LEXICON [OVERLAY]

One change to NLTK 3.8: its polarity_scores finds each word's position with
list.index(word), so a word that occurs twice is scored in the context of its first
occurrence. This harness walks the words by position instead, as the VADER paper and its
upstream code do, and then calls NLTK's own sentiment_valence, _but_check and score_valence.
"""
import json
import os
import sys
import tempfile

from nltk.sentiment.vader import SentimentIntensityAnalyzer


def lexicon_file(paths):
    # NLTK reads TOKEN<TAB>MEAN lines and fails on a blank last line or a comment: write
    # them, the overlay's entries replacing the lexicon's, to a file it can read.
    entries = {}
    for k, path in enumerate(paths):
        with open(path, encoding="utf-8") as f:
            for line in f.read().split("\n"):
                if not line.strip():
                    continue
                if k > 0 and (line == "#" or line.startswith("# ")):
                    continue
                token, mean = line.split("\t")[0:2]
                entries[token] = mean.strip()
    fd, name = tempfile.mkstemp(suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(f"{t}\t{m}" for t, m in entries.items()))
    return name


class ByPosition(SentimentIntensityAnalyzer):
    def polarity_scores(self, text):
        from nltk.sentiment.vader import SentiText

        st = SentiText(text, self.constants.PUNC_LIST, self.constants.REGEX_REMOVE_PUNCTUATION)
        words = st.words_and_emoticons
        sentiments = []
        for i, item in enumerate(words):
            kind_of = i < len(words) - 1 and item.lower() == "kind" and words[i + 1].lower() == "of"
            if kind_of or item.lower() in self.constants.BOOSTER_DICT:
                sentiments.append(0)
                continue
            sentiments = self.sentiment_valence(0, st, item, i, sentiments)
        sentiments = self._but_check(words, sentiments)
        return self.score_valence(sentiments, text)


def main():
    name = lexicon_file(sys.argv[1:])
    try:
        sia = ByPosition(lexicon_file="file:" + name)
    finally:
        os.unlink(name)
    for line in sys.stdin:
        if not line.strip():
            continue
        headline = json.loads(line)["headline"]
        compound = sia.polarity_scores(headline)["compound"]
        print(json.dumps({"headline": headline, "compound": compound}, ensure_ascii=False))


main()
