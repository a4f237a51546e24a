/* select-fixture.h -- what quant_select is tested on: the committed tiny
 * model, NC noisy copies of its golden input to calibrate on, and NM to
 * measure on (two of the calibration images, then two with a bright
 * patch: the "defective" ones). */
#ifndef EFFAD_SELECT_FIXTURE_H
#define EFFAD_SELECT_FIXTURE_H

#include <stdlib.h>
#include "check.h"
#include "test-files.h"
#include "quant-select.h"

enum { SELECT_NC = 8, SELECT_NM = 4 };

typedef struct select_fixture {
    uint8_t *onnx;
    float *input, *calib, *measure;
    convert_session *cs;
    quant_inputs in;
} select_fixture;

static uint32_t select_seed = 7;
static float select_noise(void)
{
    select_seed = select_seed * 1664525u + 1013904223u;
    return (float)((int)(select_seed >> 9) - (1 << 22)) / (float)(1 << 22);
}

static void select_fixture_close(select_fixture *f)
{
    convert_close(f->cs);
    free(f->onnx); free(f->input); free(f->calib); free(f->measure);
    memset(f, 0, sizeof *f);
}

/* 1 when the fixture is ready (a failed CHECK otherwise). */
static int select_fixture_open(select_fixture *f)
{
    memset(f, 0, sizeof *f);
    size_t n_onnx = 0, n_in = 0;
    f->onnx = slurp("tests/golden/tiny-tv-fold/model.onnx", &n_onnx);
    f->input = slurp_f32("tests/golden/tiny-tv-fold/input.f32", &n_in);
    CHECK(f->onnx && f->input);
    effad_error e = { 0 };
    if (f->onnx && f->input) CHECK_MSG(convert_open(f->onnx, n_onnx, 0, &f->cs, 0, &e) == EFFAD_OK, "%s", e.msg);
    if (!f->cs) { select_fixture_close(f); return 0; }
    const size_t floats = n_in / 4, hw = floats / 3;
    f->calib = malloc(sizeof(float) * floats * SELECT_NC);
    f->measure = malloc(sizeof(float) * floats * SELECT_NM);
    for (int i = 0; i < SELECT_NC; i++)
        for (size_t j = 0; j < floats; j++) f->calib[i * floats + j] = f->input[j] * 0.7f + 0.4f * select_noise();
    for (int i = 0; i < SELECT_NM; i++) {
        memcpy(f->measure + i * floats, f->calib + (size_t)(2 * i) * floats, sizeof(float) * floats);
        if (i >= 2)
            for (size_t c = 0; c < 3; c++)
                for (size_t p = 200; p < 600; p++) f->measure[i * floats + c * hw + p] = 4.0f;
    }
    const quant_inputs in = { floats, f->calib, SELECT_NC, f->measure, SELECT_NM, 2, 0 };
    f->in = in;
    return 1;
}

#endif
