/*
 * progimage.S: embeds the program image built from user/ and stress/
 * (tools/mkprogimage writes it; the Makefile passes its path).
 */
.section .rodata.progimage
.balign 8
.globl progimage_start
progimage_start:
        .incbin PROGIMAGE_FILE
.globl progimage_end
progimage_end:
