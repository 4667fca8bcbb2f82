#!/bin/sh
# Writes the CACTI 7 input configuration of one SRAM macro of the shipped
# technology tables to stdout (docs/cost-model.md, "Reproducing the SRAM
# tables"): a scratch RAM (no tags), 1 read/write port, 1 bank, ITRS-HP cells
# and periphery, 350 K, no ECC, the organisation minimising energy x delay^2
# (CACTI then ignores the objective weights below; this is the setting that
# reproduces the shipped tables, see README.md).
# The DRAM/IO block at the end is unused for a RAM but must be present:
# without it CACTI 7 stops with a floating-point exception.
#
#   make-cfg.sh CAPACITY_BYTES WIDTH_BITS NODE_UM > macro.cfg
set -eu
[ $# -eq 3 ] || { echo "usage: $0 CAPACITY_BYTES WIDTH_BITS NODE_UM" >&2; exit 2; }
capacity=$1 width=$2 node=$3
cat <<CFG
-size (bytes) $capacity
-block size (bytes) $((width / 8))
-associativity 1
-read-write port 1
-exclusive read port 0
-exclusive write port 0
-single ended read ports 0
-UCA bank count 1
-technology (u) $node
-Array Power Gating - "false"
-WL Power Gating - "false"
-CL Power Gating - "false"
-Bitline floating - "false"
-Interconnect Power Gating - "false"
-Power Gating Performance Loss 0.01
-page size (bits) 8192
-burst length 8
-internal prefetch width 8
-Data array cell type - "itrs-hp"
-Data array peripheral type - "itrs-hp"
-Tag array cell type - "itrs-hp"
-Tag array peripheral type - "itrs-hp"
-output/input bus width $width
-operating temperature (K) 350
-cache type "ram"
-tag size (b) "default"
-access mode (normal, sequential, fast) - "normal"
-design objective (weight delay, dynamic power, leakage power, cycle time, area) 0:100:0:0:100
-deviate (delay, dynamic power, leakage power, cycle time, area) 1000000:1000000:1000000:1000000:1000000
-NUCAdesign objective (weight delay, dynamic power, leakage power, cycle time, area) 100:100:0:0:100
-NUCAdeviate (delay, dynamic power, leakage power, cycle time, area) 10:10000:10000:10000:10000
-Optimize ED or ED^2 (ED, ED^2, NONE): "ED^2"
-Cache model (NUCA, UCA)  - "UCA"
-NUCA bank count 0
-Wire signaling (fullswing, lowswing, default) - "default"
-Wire inside mat - "semi-global"
-Wire outside mat - "semi-global"
-Interconnect projection - "conservative"
-Core count 8
-Cache level (L2/L3) - "L3"
-Add ECC - "false"
-Print level (DETAILED, CONCISE) - "DETAILED"
-Print input parameters - "false"
-Force cache config - "false"
-Ndwl 1
-Ndbl 1
-Nspd 0
-Ndcm 1
-Ndsam1 0
-Ndsam2 0
-dram_type "DDR3"
-io state "WRITE"
-addr_timing 1.0
-mem_density 4 Gb
-bus_freq 800 MHz
-duty_cycle 1.0
-activity_dq 1.0
-activity_ca 0.5
-num_dq 72
-num_dqs 18
-num_ca 25
-num_clk 2
-num_mem_dq 2
-mem_data_width 8
-rtt_value 10000
-ron_value 34
-tflight_value
-num_bobs 1
-capacity 80
-num_channels_per_bob 1
-first metric "Cost"
-second metric "Bandwidth"
-third metric "Energy"
-DIMM model "ALL"
-mirror_in_bob "F"
CFG
