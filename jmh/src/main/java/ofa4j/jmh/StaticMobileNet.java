package ofa4j.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import ofa4j.models.ArchConfig;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;

/**
 * The baseline of the elasticity-overhead benchmark: one fixed architecture built from DJL's own
 * blocks ({@link Conv2d}, {@link BatchNorm}, {@link Linear}), with no weight sharing, no slicing and
 * no kernel transforms. It has the structure of {@link SearchSpace#layers(ArchConfig)}.
 */
final class StaticMobileNet {

    private StaticMobileNet() {}

    /**
     * Builds the network of {@code arch}.
     *
     * @param space the space
     * @param arch the architecture
     * @return an uninitialised DJL block: [N, C, r, r] -> [N, classes]
     */
    static Block build(SearchSpace space, ArchConfig arch) {
        SequentialBlock net = new SequentialBlock();
        List<LayerSpec> layers = space.layers(arch);
        for (LayerSpec l : layers) {
            switch (l.kind()) {
                case STEM:
                    net.add(conv(l.outChannels(), l.kernel(), l.stride(), 1, false)).add(bn()).add(act(l.activation()));
                    break;
                case BLOCK:
                    SequentialBlock body = new SequentialBlock();
                    if (l.expand() != 1) {
                        body.add(conv(l.hiddenChannels(), 1, 1, 1, false)).add(bn()).add(act(l.activation()));
                    }
                    body.add(conv(l.hiddenChannels(), l.kernel(), l.stride(), l.hiddenChannels(), false))
                            .add(bn()).add(act(l.activation()));
                    if (l.se()) {
                        body.add(se(l.hiddenChannels(), l.seChannels()));
                    }
                    body.add(conv(l.outChannels(), 1, 1, 1, false)).add(bn());
                    if (l.residual()) {
                        net.add(new ParallelBlock(
                                xs -> new NDList(xs.get(0).singletonOrThrow().add(xs.get(1).singletonOrThrow())),
                                List.of(body, new LambdaBlock(x -> x))));
                    } else {
                        net.add(body);
                    }
                    break;
                case FINAL_EXPAND:
                    net.add(conv(l.outChannels(), 1, 1, 1, false)).add(bn()).add(act(l.activation()));
                    net.add(Pool.globalAvgPool2dBlock());
                    break;
                case FEATURE_MIX:
                    net.add(Linear.builder().setUnits(l.outChannels()).optBias(false).build()).add(act(l.activation()));
                    break;
                case CLASSIFIER:
                    net.add(Linear.builder().setUnits(l.outChannels()).build());
                    break;
                default:
                    throw new IllegalStateException("unknown layer " + l.kind());
            }
        }
        return net;
    }

    private static Block conv(int filters, int k, int stride, int groups, boolean bias) {
        return Conv2d.builder().setKernelShape(new Shape(k, k)).optStride(new Shape(stride, stride))
                .optPadding(new Shape(k / 2, k / 2)).setFilters(filters).optGroups(groups).optBias(bias).build();
    }

    private static Block bn() {
        return BatchNorm.builder().optEpsilon(1e-5f).optMomentum(0.9f).build();
    }

    private static Block act(ofa4j.models.Activation a) {
        if (a == ofa4j.models.Activation.RELU) {
            return ai.djl.nn.Activation.reluBlock();
        }
        return new LambdaBlock(xs -> new NDList(hswish(xs.singletonOrThrow())));
    }

    /** x * relu6(x + 3) / 6, the constant held as an array (DJL.md pitfall 1: no boxed scalars). */
    static NDArray hswish(NDArray x) {
        NDArray sixth = x.getManager().create(1f / 6f);
        return x.mul(x.add(3).clip(0, 6)).mul(sixth);
    }

    private static Block se(int channels, int hidden) {
        SequentialBlock gate = new SequentialBlock()
                .add(Pool.globalAvgPool2dBlock())
                .add(new LambdaBlock(xs -> new NDList(xs.singletonOrThrow().reshape(-1, channels, 1, 1))))
                .add(conv(hidden, 1, 1, 1, true))
                .add(ai.djl.nn.Activation.reluBlock())
                .add(conv(channels, 1, 1, 1, true))
                .add(new LambdaBlock(xs -> {
                    NDArray g = xs.singletonOrThrow();
                    NDArray sixth = g.getManager().create(1f / 6f);
                    return new NDList(g.add(3).clip(0, 6).mul(sixth));
                }));
        return new ParallelBlock(
                xs -> new NDList(xs.get(0).singletonOrThrow().mul(xs.get(1).singletonOrThrow())),
                List.of(new LambdaBlock(x -> x), gate));
    }
}
