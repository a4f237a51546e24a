/* effad score's records in text, JSON and CSV; see score-output.h. */
#include "align.h"
#include "cli.h"
#include "score-output.h"

static void json_header(const score_output *o, const char *th_name, int verdict_regions)
{
    const detector *d = o->d;
    FILE *f = o->f;
    char num[40];
    fprintf(f, "{\"kind\":\"fit\",\"preset\":");
    cli_json_string(f, d->gm.preset ? d->gm.preset : "");
    if (d->gm.roi.w) fprintf(f, ",\"roi\":[%d,%d,%d,%d]", d->gm.roi.x, d->gm.roi.y, d->gm.roi.w, d->gm.roi.h);
    if (d->gm.align) fprintf(f, ",\"align\":%d", d->gm.align->range);
    if (d->gm.rgb16 != PREP_RGB16_NONE) fprintf(f, ",\"rgb16\":\"%s\"", prep_rgb16_name(d->gm.rgb16, num));
    fprintf(f, ",\"n_train\":%llu,\"threshold\":%s,\"threshold_name\":",
            (unsigned long long)(d->gm.n_levels ? d->gm.levels[0].n : 0), cli_json_num(num, sizeof num, "%.17g", o->threshold));
    cli_json_string(f, th_name);
    fprintf(f, ",\"levels\":[");
    for (size_t l = 0; l < d->gm.n_levels; l++)
        fprintf(f, "%s{\"tap\":%d,\"dim\":%zu,\"shrinkage\":%.17g}", l ? "," : "", d->sel.tap[l], d->gm.levels[l].dim,
                d->gm.levels[l].shrinkage);
    fprintf(f, "]");
    if (o->maps) {
        const gauss_maps *gm = d->gm.maps;
        fprintf(f, ",\"map\":{\"grid\":[%u,%u],\"dim\":%u,\"sigma\":%.9g,\"verdict\":\"%s\"", gm->grid_h, gm->grid_w,
                gm->dim, gm->sigma, verdict_regions ? "regions" : "image");
        if (gm->calibrated) fprintf(f, ",\"threshold\":%.17g,\"min_area\":%u", gm->threshold, gm->min_area);
        if (gm->ignore) fprintf(f, ",\"ignore\":{\"w\":%u,\"h\":%u,\"pixels\":%llu}", gm->ignore_w, gm->ignore_h,
                                (unsigned long long)gm->ignore_count);
        fprintf(f, "}");
    }
    fprintf(f, "}\n");
}

void score_output_header(const score_output *o, const char *gauss_path, const char *th_name, int verdict_regions)
{
    const detector *d = o->d;
    if (o->format == SCORE_JSON) json_header(o, th_name, verdict_regions);
    else if (o->format == SCORE_CSV) {
        fprintf(o->f, "file,score,verdict");
        for (size_t l = 0; l < d->gm.n_levels; l++) fprintf(o->f, ",level_%d", d->sel.tap[l]);
        fprintf(o->f, "%s,error\n", d->gm.align ? ",shift_x,shift_y,match" : "");
    } else if (!o->quiet) {
        char roi[ROI_TEXT_BYTES];
        roi_format(&d->gm.roi, roi, sizeof roi);
        fprintf(o->f, "# %s%s%s, threshold %s = %.6g, score = %s of %zu level distances (L<n>: model level n)\n",
                gauss_path, roi[0] ? ", region of interest " : "", roi, th_name, o->threshold, detector_combine_of(d->gm.preset) == COMBINE_MEAN ? "mean" : "sum",
                d->gm.n_levels);
    }
}

static void json_image(const score_output *o, const score_record *r)
{
    FILE *f = o->f;
    char num[40];
    fprintf(f, "{\"file\":");
    cli_json_string(f, r->file);
    if (r->error) {
        fprintf(f, ",\"error\":");
        cli_json_string(f, r->error);
        fprintf(f, "}\n");
        return;
    }
    fprintf(f, ",\"score\":%s,\"levels\":[", cli_json_num(num, sizeof num, "%.17g", r->score));
    for (size_t l = 0; l < o->d->gm.n_levels; l++)
        fprintf(f, "%s%s", l ? "," : "", cli_json_num(num, sizeof num, "%.17g", r->levels[l]));
    fprintf(f, "],\"threshold\":%s,\"anomalous\":%s", cli_json_num(num, sizeof num, "%.17g", o->threshold),
            r->anomalous ? "true" : "false");
    if (o->d->gm.align) fprintf(f, ",\"shift\":[%d,%d],\"match\":%s", r->dx, r->dy, cli_json_num(num, sizeof num, "%.6f", r->match));
    if (o->maps) {
        fprintf(f, ",\"image_anomalous\":%s", r->image_anomalous ? "true" : "false");
        score_maps_json(r->sm, f);
    }
    fprintf(f, "}\n");
}

/* A row in one piece, so a failed allocation drops no half row. */
static void csv_image(const score_output *o, const score_record *r)
{
    cli_buf b = { 0 };
    cli_buf_csv(&b, r->file);
    if (r->error) cli_buf_printf(&b, ",,error");
    else cli_buf_printf(&b, ",%.9g,%s", r->score, r->anomalous ? "anomalous" : "ok");
    for (size_t l = 0; l < o->d->gm.n_levels; l++) {
        if (r->error) cli_buf_printf(&b, ",");
        else cli_buf_printf(&b, ",%.9g", r->levels[l]);
    }
    if (o->d->gm.align && r->error) cli_buf_printf(&b, ",,,");
    else if (o->d->gm.align) cli_buf_printf(&b, ",%d,%d,%.6f", r->dx, r->dy, r->match);
    cli_buf_printf(&b, ",");
    if (r->error) cli_buf_csv(&b, r->error);
    cli_buf_printf(&b, "\n");
    if (b.failed) {
        fputs("(out of memory),,error", o->f);
        for (size_t l = 0; l < o->d->gm.n_levels; l++) fputc(',', o->f);
        if (o->d->gm.align) fputs(",,,", o->f);
        fputs(",out of memory\n", o->f);
    } else {
        fputs(b.p, o->f);
    }
    cli_buf_free(&b);
}

static void text_image(const score_output *o, const score_record *r)
{
    if (r->error) {
        fprintf(o->f, "%-9s %12s  %s  %s\n", "ERROR", "-", r->file, r->error);
        return;
    }
    fprintf(o->f, "%-9s %12.6g  %s  levels", r->anomalous ? "ANOMALY" : "ok", r->score, r->file);
    for (size_t l = 0; l < o->d->gm.n_levels; l++) fprintf(o->f, " L%d=%.4g", o->d->sel.tap[l], r->levels[l]);
    if (o->d->gm.align) fprintf(o->f, " shift=%d,%d match=%.3f", r->dx, r->dy, r->match);
    fprintf(o->f, "\n");
    if (o->maps) score_maps_text(r->sm, o->f);
}

void score_output_image(const score_output *o, const score_record *r)
{
    if (o->format == SCORE_JSON) json_image(o, r);
    else if (o->format == SCORE_CSV) csv_image(o, r);
    else text_image(o, r);
}

void score_output_summary(const score_output *o, size_t images, size_t unreadable, int anomalies)
{
    if (o->format == SCORE_JSON)
        fprintf(o->f, "{\"kind\":\"summary\",\"images\":%zu,\"scored\":%zu,\"anomalous\":%d,\"errors\":%zu}\n", images,
                images - unreadable, anomalies, unreadable);
    fflush(o->f);
    if (o->format != SCORE_JSON && !o->quiet)
        fprintf(stderr, "%zu images, %d anomalous, %zu unreadable\n", images, anomalies, unreadable);
}
