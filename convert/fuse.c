/* Fusion: what an inference engine folds before it runs anything.
 * Each rule fires only when the intermediate value has no other reader,
 * so a tapped or branching value is never fused away. */
#include <stdlib.h>
#include <string.h>
#include "layers.h"
#include "fuse.h"

static void rename_uses(layer_net *net, int from, int to)
{
    for (int i = 0; i < net->n; i++) {
        layer *L = &net->l[i];
        if (L->dead) continue;
        if (L->in0 == from) L->in0 = to;
        if ((L->kind == L_ADD || L->kind == L_MUL) && L->in1 == from) L->in1 = to;
    }
}

static layer *conv_without_act(layer_net *net, int v)
{
    int p = v >= 0 ? net->producer[v] : -1;
    if (p < 0) return 0;
    layer *c = &net->l[p];
    return c->kind == L_CONV && c->act.kind == OPS_ACT_NONE ? c : 0;
}

static int fuse_once(layer_net *net)
{
    const graph *g = net->g;
    for (int i = 0; i < net->n; i++) {
        layer *L = &net->l[i];
        if (L->dead) continue;
        switch (L->kind) {
        case L_ALIAS:
            if (g->val[L->out].is_output) break;
            rename_uses(net, L->out, L->in0);
            L->dead = 1;
            return 1;
        case L_BN: {
            layer *c = conv_without_act(net, L->in0);
            if (!c || net->uses[L->in0] != 1 || c->cout != L->cout) break;
            size_t per_out = (size_t)c->kh * c->kw * (size_t)(c->cin / c->groups);
            if (!c->b) {
                c->b = calloc((size_t)c->cout, sizeof(float));
                if (!c->b) break;
            }
            for (int o = 0; o < c->cout; o++) {
                for (size_t k = 0; k < per_out; k++)
                    c->w[o * per_out + k] = (float)((double)c->w[o * per_out + k] * L->bn_scale[o]);
                c->b[o] = (float)((double)c->b[o] * L->bn_scale[o] + L->bn_shift[o]);
            }
            c->out = L->out;
            L->dead = 1;
            return 1;
        }
        case L_PAD: {
            if (!L->pad_ok || net->uses[L->out] != 1) break;
            int ci = layers_consumer(net, L->out, 0);
            if (ci < 0 || net->l[ci].kind != L_CONV || net->l[ci].in0 != L->out) break;
            layer *c = &net->l[ci];
            for (int k = 0; k < 4; k++) c->pads[k] += L->pad_hw[k];
            c->in0 = L->in0;
            L->dead = 1;
            return 1;
        }
        case L_MUL: {
            /* swish: x * sigmoid(x), either operand order */
            for (int side = 0; side < 2; side++) {
                int sv = side ? L->in0 : L->in1, xv = side ? L->in1 : L->in0;
                int si = sv >= 0 ? net->producer[sv] : -1;
                if (si < 0) continue;
                layer *S = &net->l[si];
                if (S->kind != L_ACT || S->act.kind != OPS_ACT_SIGMOID || S->in0 != xv) continue;
                layer *c = conv_without_act(net, xv);
                if (!c || net->uses[xv] != 2 || net->uses[sv] != 1) continue;
                c->act.kind = OPS_ACT_SWISH;
                c->out = L->out;
                S->dead = L->dead = 1;
                return 1;
            }
            break;
        }
        case L_ACT: {
            layer *c = conv_without_act(net, L->in0);
            if (!c || net->uses[L->in0] != 1) break;
            c->act = L->act;
            c->out = L->out;
            L->dead = 1;
            return 1;
        }
        default: break;
        }
    }
    return 0;
}

void layers_fuse(layer_net *net)
{
    while (fuse_once(net)) layers_index(net);
}
