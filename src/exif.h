/*
 * exif.h -- the one fact effad takes from an EXIF block: the orientation
 * the camera recorded (tag 0x0112 of the first IFD), which OpenCV's
 * cv2.imread applies to JPEG, PNG and TIFF images and PIL's Image.open
 * does not -- so a preset reproducing OpenCV code must apply it too
 * (preprocess.h, exif_orientation), and the others must not.
 *
 * The block is a TIFF structure (TIFF 6.0, section 2; Exif 2.3, 4.5.2):
 * "II*\0" or "MM\0*", the first IFD's offset, its 12-byte entries. The
 * value is read as OpenCV's ExifReader reads it -- the 16-bit word at the
 * start of the entry's value field, in the block's byte order, whatever
 * type the entry declares (measured against cv2 4.6: a little-endian LONG
 * 6 rotates, a big-endian LONG 6 reads 0 and does not). Every offset is
 * checked against the block's length.
 */
#ifndef EFFAD_EXIF_H
#define EFFAD_EXIF_H

#include <stddef.h>
#include <stdint.h>

/* The orientation the first IFD states, 1..8; 0 when the block is not a
 * TIFF structure, is cut short, has no orientation tag, or states a value
 * outside 1..8 (which OpenCV leaves alone too). */
int exif_orientation(const uint8_t *p, size_t n);

#endif
