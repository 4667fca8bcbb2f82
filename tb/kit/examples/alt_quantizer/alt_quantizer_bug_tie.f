// Planted bug: the INT8 lane rounds exact ties the other way.
+define+ALT_BUG_TIE
alt_quantizer.sv
