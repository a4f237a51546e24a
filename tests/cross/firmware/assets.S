/*
 * assets.S -- the data the firmware ships with, as read-only bytes in
 * flash. The files are made on the host at build time (firmware.sh, from
 * our own demo model, synthetic images and `effad fit`) and found through
 * the assembler's include path (-Wa,-I<asset dir>):
 *   model.efm    the converted network, 64-byte aligned (the engine wants
 *                16; the rest is cache-line courtesy)
 *   model.gauss  the fitted Gaussians, read in place by gauss-view.c
 *   images.bin   per test image: its preprocessed 3xHxW float32 tensor,
 *                then the host's `effad features` output for it
 * Each symbol has a size, so the build's flash figures come from nm.
 */
    .section .rodata.effad_assets, "a"

    .balign 64
    .global fw_model, fw_model_end
    .type fw_model, %object
fw_model:
    .incbin "model.efm"
fw_model_end:
    .size fw_model, fw_model_end - fw_model

    .balign 64
    .global fw_gauss, fw_gauss_end
    .type fw_gauss, %object
fw_gauss:
    .incbin "model.gauss"
fw_gauss_end:
    .size fw_gauss, fw_gauss_end - fw_gauss

    .balign 64
    .global fw_images, fw_images_end
    .type fw_images, %object
fw_images:
    .incbin "images.bin"
fw_images_end:
    .size fw_images, fw_images_end - fw_images
