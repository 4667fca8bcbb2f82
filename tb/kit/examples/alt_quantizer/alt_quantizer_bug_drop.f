// Planted bug: a beat stalled for four cycles is dropped.
+define+ALT_BUG_DROP
alt_quantizer.sv
