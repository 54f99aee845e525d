module leadmagnet/bench/loadgen

go 1.24
