package ofa4j.supernet.elastic;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import ofa4j.models.Activation;
import ofa4j.models.LayerSpec;
import ofa4j.models.Tensor;
import ofa4j.supernet.ops.BnStatistics;
import ofa4j.supernet.ops.Ctx;

/**
 * A MobileNetV3 inverted-residual block with elastic kernel and expand ratio (OFA's {@code
 * DynamicMBConvLayer} inside a residual block): [1x1 expand, BN, act] -> depthwise k x k, BN,
 * act -> [SE] -> 1x1 project, BN -> (+ input). The choice arrives with each call as the block's
 * {@link LayerSpec} from {@link ofa4j.models.SearchSpace#layers}.
 */
public final class ElasticMbBlock {

    private final String name;
    private final int in;
    private final int out;
    private final int maxHidden;
    private final int stride;
    private final Activation act;
    private final List<Integer> kernels;
    private final List<Integer> expands;
    private final ElasticConv2d expand;
    private final ElasticBatchNorm expandBn;
    private final ElasticDepthwiseConv dw;
    private final ElasticBatchNorm dwBn;
    private final ElasticSe se;
    private final ElasticConv2d project;
    private final ElasticBatchNorm projectBn;

    /**
     * @param w the registry
     * @param name prefix, e.g. {@code blocks.3}
     * @param in input channels
     * @param out output channels
     * @param maxHidden largest hidden width
     * @param kernels allowed kernels (ascending; one value for a fixed block)
     * @param expands allowed expand ratios (for {@link #describe()}; {@code [1]} for the first block,
     *     which has no expand conv)
     * @param stride depthwise stride
     * @param act activation
     * @param seMax largest SE width, 0 for no SE
     */
    public ElasticMbBlock(
            Weights w, String name, int in, int out, int maxHidden, List<Integer> kernels, List<Integer> expands,
            int stride, Activation act, int seMax) {
        this.name = name;
        this.in = in;
        this.out = out;
        this.maxHidden = maxHidden;
        this.stride = stride;
        this.act = act;
        this.kernels = List.copyOf(kernels);
        this.expands = List.copyOf(expands);
        boolean hasExpand = !(expands.size() == 1 && expands.get(0) == 1);
        if (hasExpand) {
            expand = new ElasticConv2d(w, name + ".expand", in, maxHidden, 1);
            expandBn = new ElasticBatchNorm(w, name + ".expand.bn", maxHidden);
        } else {
            expand = null;
            expandBn = null;
        }
        dw = new ElasticDepthwiseConv(w, name + ".dw", maxHidden, kernels);
        dwBn = new ElasticBatchNorm(w, name + ".dw.bn", maxHidden);
        se = seMax > 0 ? new ElasticSe(w, name + ".se", maxHidden, seMax) : null;
        project = new ElasticConv2d(w, name + ".project", maxHidden, out, 1);
        projectBn = new ElasticBatchNorm(w, name + ".project.bn", out);
    }

    private void check(LayerSpec l) {
        if (l.kind() != LayerSpec.Kind.BLOCK || l.inChannels() != in || l.outChannels() != out
                || l.stride() != stride || l.hiddenChannels() > maxHidden || l.se() != (se != null)) {
            throw new IllegalArgumentException("layer " + l.describe() + " does not fit block " + describe());
        }
        if (l.expand() != 1 && expand == null) {
            throw new IllegalArgumentException(
                    "block " + name + " has no expand conv, found expand ratio " + l.expand());
        }
    }

    /**
     * Runs the block at choice {@code l}.
     *
     * @param c the pass
     * @param x input [N, in, H, W]
     * @param l the block's layer spec (hidden width, kernel, SE width)
     * @return output [N, out, H', W']
     */
    public NDArray forward(Ctx c, NDArray x, LayerSpec l) {
        check(l);
        int h = l.hiddenChannels();
        NDArray y = x;
        if (l.expand() != 1) {
            y = expand.forward(c, y, in, h, 1);
            y = ofa4j.supernet.ops.Fn.act(c, expandBn.forward(c, y, h), act);
        }
        y = dw.forward(c, y, h, l.kernel(), stride);
        y = ofa4j.supernet.ops.Fn.act(c, dwBn.forward(c, y, h), act);
        if (se != null) {
            y = se.forward(c, y, h, l.seChannels());
        }
        y = project.forward(c, y, h, out, 1);
        y = projectBn.forward(c, y, out);
        if (l.residual()) {
            y = y.add(x);
        }
        return y;
    }

    /**
     * Names of the trainable parameters a call at {@code l} touches.
     *
     * @param l the choice
     * @return parameter names
     */
    public List<String> usedNames(LayerSpec l) {
        List<String> n = new ArrayList<>();
        if (l.expand() != 1) {
            n.add(expand.weight().getName());
            n.add(expandBn.name() + ".gamma");
            n.add(expandBn.name() + ".beta");
        }
        n.addAll(dw.usedNames(l.kernel()));
        n.add(dwBn.name() + ".gamma");
        n.add(dwBn.name() + ".beta");
        if (se != null) {
            n.addAll(se.names());
        }
        n.add(project.weight().getName());
        n.add(projectBn.name() + ".gamma");
        n.add(projectBn.name() + ".beta");
        return n;
    }

    /**
     * Writes the block's plain tensors under {@code prefix} (e.g. {@code blocks.2}).
     *
     * @param into destination
     * @param prefix subnet prefix
     * @param l the choice
     * @param stats recalibrated BN statistics, or null for the stored running statistics
     */
    public void extract(Map<String, Tensor> into, String prefix, LayerSpec l, BnStatistics stats) {
        check(l);
        int h = l.hiddenChannels();
        if (l.expand() != 1) {
            expand.extract(into, prefix + ".expand", in, h);
            expandBn.extract(into, prefix + ".expand.bn", h, stats);
        }
        dw.extract(into, prefix + ".dw", h, l.kernel());
        dwBn.extract(into, prefix + ".dw.bn", h, stats);
        if (se != null) {
            se.extract(into, prefix + ".se", h, l.seChannels());
        }
        project.extract(into, prefix + ".project", h, out);
        projectBn.extract(into, prefix + ".project.bn", out, stats);
    }

    /**
     * Sorts the hidden channels by importance, the L1 norm of the project weights reading each
     * channel, descending, and permutes every tensor indexed by hidden channel accordingly (OFA's
     * {@code re_organize_middle_weights}); then sorts the SE units. The block's function is
     * unchanged. Blocks without an expand conv (the fixed first block) are left alone, as in OFA.
     */
    public void sortChannels() {
        if (expand == null) {
            return;
        }
        int[] perm = Slices.argsortDescending(Slices.l1PerIndex(project.weight().getArray(), 1, maxHidden));
        Slices.permuteInPlace(project.weight().getArray(), 1, perm);
        Slices.permuteInPlace(expand.weight().getArray(), 0, perm);
        expandBn.permute(perm);
        dw.permute(perm);
        dwBn.permute(perm);
        if (se != null) {
            se.permute(perm);
        }
    }

    /**
     * OFA-style description of the elastic block, e.g. {@code MB(I24,O40,E[3, 4, 6],K[3, 5, 7],S2,SE)}.
     *
     * @return a short description
     */
    public String describe() {
        return "MB(I" + in + ",O" + out + ",E" + (expands.size() == 1 ? expands.get(0) : expands)
                + ",K" + (kernels.size() == 1 ? kernels.get(0) : kernels) + ",S" + stride
                + (se != null ? ",SE" : "") + "," + act.jsonName() + ")";
    }

    /** @return the parameter prefix */
    public String name() {
        return name;
    }
}
