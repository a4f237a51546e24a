/*
 * preprocess.h -- from a decoded 8-bit RGB image to the network's input
 * tensor, the way the Python pipelines we replace do it.
 *
 * Output: float32, planar CHW (3 x out_h x out_w), each value
 * ((float)p / 255 - mean[c]) / std[c] computed in float32 in that order,
 * which is what torchvision's ToTensor + Normalize (and ailia's numpy code)
 * compute, or albumentations' (p - 255 mean[c]) * (1 / (255 std[c])) for
 * "paper"; the result matches them to the last bit on an IEEE float32
 * machine without excess precision (x86-64 SSE, AArch64).
 *
 * Presets (preprocess_by_name), each named after the code it reproduces:
 *   "ailia"         the ailia model zoo's sample, axinc-ai/ailia-models
 *                   anomaly_detection/mahalanobisad/mahalanobisad.py (read
 *                   at commit 40b76225), preprocess(): the shorter side to
 *                   IMAGE_RESIZE (256) --
 *                     size = (size, int(size * h / w))  (or the transpose)
 *                     Image.fromarray(img).resize(size, resample=Image.LANCZOS)
 *                   -- then the crop at
 *                     pad_h = (h - crop_size) // 2;  pad_w = (w - crop_size) // 2
 *                   (floor), then normalize_image(img.astype(np.float32),
 *                   'ImageNet') (util/image_utils.py: image / 255.0, then
 *                   (image[:, :, i] - mean[i]) / std[i]; with numpy 1.x the
 *                   float64 scalars act as float32, so three float32
 *                   roundings, as below). The default preset.
 *   "mahalanobisad" byungjae89/MahalanobisAD-pytorch, src/datasets/mvtec.py
 *                   (commit b85c384f; src/main.py feeds it), MVTecDataset.__init__:
 *                     T.Compose([T.Resize(resize, Image.ANTIALIAS),
 *                                T.CenterCrop(cropsize), T.ToTensor(),
 *                                T.Normalize(mean=[...], std=[...])])
 *                   -- the same resize (torchvision 0.14 computes the long
 *                   side as int(size * long / short) too), but CenterCrop's
 *                   origin int(round((H - out_h) / 2.0)) rounds half to even:
 *                   one pixel further than "ailia" when (H - out_h) % 4 == 3.
 *   "paper"         ORippler/gaussian-ad-mvtec (Rippel et al.; commit 674fbd0e),
 *                   src/gaussian/model.py Mahalanobis.__init__:
 *                     transform=Resize(self.input_size, self.input_size)
 *                     final_transform = [Normalize(), ToTensorV2()]
 *                   albumentations' Resize is cv2.resize INTER_LINEAR straight
 *                   to out_w x out_h (no crop, aspect not kept) and its
 *                   Normalize computes (p - 255 mean) * (1 / (255 std)) in
 *                   float32 (PREP_NORM_ALBUMENTATIONS). The input must be RGB:
 *                   src/datasets/mvtecad.py load_transform reads with
 *                     image = cv2.imread(path)
 *                     image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
 * Names written by older effad versions into .gauss files are mapped by
 * preprocess_preset_renamed() ("ailia" was the torchvision rounding then).
 *
 * resize_short (the "ailia" and "mahalanobisad" shorter side) is
 * round(max(out_h, out_w) * 256 / 224): 256 for the samples' 224, 73 for
 * 64, 434 for 380. Every field may be changed after preprocess_by_name.
 *
 * A crop larger than the resized image is an error (EFFAD_ERR_ARG);
 * torchvision would zero-pad instead, which no preset relies on.
 *
 * Memory: functions taking (scratch, scratch_bytes) use the caller's buffer
 * when scratch is non-NULL (its size from the matching *_scratch_bytes) and
 * otherwise malloc and free their own.
 */
#ifndef EFFAD_PREPROCESS_H
#define EFFAD_PREPROCESS_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

typedef enum prep_resize {
    PREP_RESIZE_SHORT_SIDE,   /* shorter side to resize_short, keep aspect */
    PREP_RESIZE_EXACT         /* straight to out_w x out_h */
} prep_resize;

typedef enum prep_sampler {
    PREP_PIL_LANCZOS, PREP_PIL_BICUBIC, PREP_PIL_BILINEAR,  /* Pillow 9.4, bit-exact */
    PREP_CV_LINEAR                                          /* OpenCV 4.6, bit-exact */
} prep_sampler;

typedef enum prep_crop {
    PREP_CROP_NONE,           /* only valid when the resized size is the output size */
    PREP_CROP_CENTER_ROUND,   /* torchvision CenterCrop: int(round(d / 2.0)) */
    PREP_CROP_CENTER_FLOOR    /* d // 2 */
} prep_crop;

/* The order of the float32 operations of the normalisation. */
typedef enum prep_normalize {
    PREP_NORM_TORCHVISION,    /* (p / 255 - mean) / std: ToTensor + Normalize, ailia's normalize_image */
    PREP_NORM_ALBUMENTATIONS  /* (p - 255 mean) * (1 / (255 std)), constants rounded to float32 first */
} prep_normalize;

typedef struct preprocess_cfg {
    const char *name;
    prep_resize resize;
    prep_sampler sampler;
    int resize_short;         /* PREP_RESIZE_SHORT_SIDE only */
    int out_h, out_w;         /* the network's input size */
    prep_crop crop;
    prep_normalize normalize;
    float mean[3], std[3];
} preprocess_cfg;

/* Fills cfg with a named preset ("ailia", "mahalanobisad", "paper") for a
 * network taking out_h x out_w. */
effad_status preprocess_by_name(const char *name, int out_h, int out_w,
                                preprocess_cfg *cfg, effad_error *e);
/* The names a preset list in messages and --help: "ailia, mahalanobisad, paper". */
const char *preprocess_preset_names(void);
/* Whether the preset's Python code reads images with cv2.imread
 * (IMREAD_COLOR), which turns a JPEG or PNG by its EXIF orientation, as
 * gaussian-ad-mvtec does; the others' readers turn only a TIFF, by its
 * tag (image.h, image_orient_rule). The same reader keeps 16-bit samples'
 * high byte (IMAGE_RGB_OPENCV). */
int preprocess_turns_by_exif(const preprocess_cfg *cfg);
/* The preset that sees the whole image (no crop), for advice in warnings. */
const char *preprocess_uncropped_preset(void);
/* The preset a .gauss file of format version `version` means by `stored`:
 * the current name when the preset has been renamed since, else NULL.
 * The one table of renames lives behind this. */
const char *preprocess_preset_renamed(unsigned version, const char *stored);

/* Where the crop window lies in the w x h source image, in source pixels
 * (x0, y0, x1, y1; edges, not centres), and the fraction of the source area
 * it keeps (1 when the preset does not crop). */
effad_status preprocess_crop_in_source(const preprocess_cfg *cfg, int w, int h,
                                       double box[4], double *kept_fraction, effad_error *e);

/* The size the image is resized to before cropping. */
effad_status preprocess_resized_size(const preprocess_cfg *cfg, int w, int h,
                                     int *rw, int *rh, effad_error *e);
/* Top-left of the centre crop inside an rw x rh resized image. */
effad_status preprocess_crop_origin(const preprocess_cfg *cfg, int rw, int rh,
                                    int *top, int *left, effad_error *e);

/* Scratch for preprocess_run on a w x h input; 0 if cfg or sizes are invalid. */
size_t preprocess_scratch_bytes(const preprocess_cfg *cfg, int w, int h);
/* rgb: w x h interleaved RGB; out_chw: 3 * out_h * out_w floats. */
effad_status preprocess_run(const preprocess_cfg *cfg, const uint8_t *rgb, int w, int h,
                            float *out_chw, void *scratch, size_t scratch_bytes,
                            effad_error *e);

/* The steps preprocess_run is made of, for callers that insert their own
 * (augmentation does). */
size_t preprocess_resize_scratch_bytes(const preprocess_cfg *cfg, int w, int h, int rw, int rh);
effad_status preprocess_resize(const preprocess_cfg *cfg, const uint8_t *rgb, int w, int h,
                               uint8_t *resized, int rw, int rh,
                               void *scratch, size_t scratch_bytes, effad_error *e);
/* Crops out_h x out_w at (top, left) of an img_w-wide image and normalises
 * into CHW; the caller has checked the window lies inside the image. */
void preprocess_normalize_crop(const preprocess_cfg *cfg, const uint8_t *img, int img_w,
                               int top, int left, float *out_chw);

#endif /* EFFAD_PREPROCESS_H */
