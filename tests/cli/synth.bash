# Synthetic 5m candles for the model tests. The draws come from a generator of their own (Park
# and Miller's minimal standard, exact in doubles), so every awk writes the same series.

# synth_candles SEED ROWS SD AMP: CSV of ROWS candles from 2021-04-01 on, whose log close is a
# random walk (normal steps of sd SD per bar) plus AMP * sin(2 pi t / 48): with AMP 0 nothing
# can be predicted; with AMP well above SD * sqrt(12) the last bars reveal the phase of the
# wave and so most of the next 12 bars' move. SEED is from 1 to 2147483646.
synth_candles() {
    awk -v seed="$1" -v rows="$2" -v sd="$3" -v amp="$4" '
        function uniform() { state = (16807 * state) % 2147483647; return state / 2147483647 }
        function normal(u, v) {
            u = uniform(); v = uniform()
            return sqrt(-2 * log(u)) * cos(6.283185307179586 * v)
        }
        BEGIN {
            state = seed
            print "ts_ms,open,high,low,close,volume"
            walk = log(100)
            prev = 100
            for (i = 0; i < rows; i++) {
                walk += sd * normal()
                c = exp(walk + amp * sin(6.283185307179586 * i / 48))
                o = prev
                h = (o > c ? o : c) * (1 + sd * uniform())
                l = (o < c ? o : c) * (1 - sd * uniform())
                printf "%d,%.6f,%.6f,%.6f,%.6f,%.4f\n", 1617235200000 + i * 300000, o, h, l, c,
                    10 + 100 * uniform()
                prev = c
            }
        }'
}

# scale_moves INST K: NDJSON on stdin to stdout with the candles of INST changed so that every
# price move is K times as large (log prices scaled by K around the first close; high and low
# stay the highest and the lowest). Other lines pass unchanged.
scale_moves() {
    awk -v inst="$1" -v k="$2" '
        function num(key) {
            match($0, "\"" key "\":[-0-9.e+]+")
            return substr($0, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
        }
        function put(key, v) { sub("\"" key "\":[-0-9.e+]+", "\"" key "\":" sprintf("%.10g", v)) }
        index($0, "\"type\":\"candle\"") && index($0, "\"inst\":\"" inst "\"") {
            if (base == "") base = num("c")
            put("o", base * exp(k * log(num("o") / base)))
            put("h", base * exp(k * log(num("h") / base)))
            put("l", base * exp(k * log(num("l") / base)))
            put("c", base * exp(k * log(num("c") / base)))
        }
        { print }'
}
