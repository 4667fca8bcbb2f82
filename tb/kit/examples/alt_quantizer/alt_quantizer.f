// The example independent implementation (paths relative to this file: --dut-F).
alt_quantizer.sv
