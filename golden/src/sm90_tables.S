/* The H200's MUFU.EX2 / MUFU.RCP outputs on their fraction grids, as extracted
   from golden/data/sm90_tables.tar.xz at configure time (golden/CMakeLists.txt
   passes the directory with -Wa,-I). Read by sm90.cpp. */
    .section .rodata
    .balign 16
    .globl mambahw_sm90_ex2_pos
mambahw_sm90_ex2_pos:
    .incbin "ex2_pos.d8"
    .globl mambahw_sm90_ex2_neg
mambahw_sm90_ex2_neg:
    .incbin "ex2_neg.d8"
    .globl mambahw_sm90_rcp
mambahw_sm90_rcp:
    .incbin "rcp.d8"
    .section .note.GNU-stack,"",@progbits
