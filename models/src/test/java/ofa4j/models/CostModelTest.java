package ofa4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Checks the cost model against figures computed separately: by hand (fmnist min subnet, worked
 * layer by layer below), by an independent calculator written here from the paper's description,
 * and against the figures OFA's own code reports for its space.
 */
class CostModelTest {

    /**
     * fmnist min subnet (K3, E3, D2, 20 px), MACs and params worked by hand:
     *
     * <pre>
     * layer              map      MACs                                   params
     * stem 1->16 s2      20->10   100*9*16            = 14,400           144+32            = 176
     * first block 16     10       dw 100*9*16 + pw 100*16*16 = 40,000    144+32+256+32     = 464
     * s0b1 16->24 h48    10->5    76,800+10,800+28,800 = 116,400         864+528+1,200     = 2,592
     * s0b2 24 h72        5        43,200+16,200+43,200 = 102,600         1,872+792+1,776   = 4,440
     * s1b1 24->40 h72 SE24 5->3   43,200+5,832+3,456+25,920 = 78,408     1,872+792+3,552+2,960 = 9,176
     * s1b2 40 h120 SE32  3        43,200+9,720+7,680+43,200 = 103,800    5,040+1,320+7,832+4,880 = 19,072
     * s2b1 40->64 h120   3->2     43,200+4,320+30,720 = 78,240           5,040+1,320+7,808 = 14,168
     * s2b2 64 h192       2        49,152+6,912+49,152 = 105,216          12,672+2,112+12,416 = 27,200
     * s3b1 64->96 h192 SE48 2     49,152+6,912+18,432+73,728 = 148,224   12,672+2,112+18,672+18,624 = 52,080
     * s3b2 96 h288 SE72  2        110,592+10,368+41,472+110,592 = 273,024 28,224+3,168+41,832+27,840 = 101,064
     * final expand 96->384 2      4*96*384 = 147,456                     36,864+768 = 37,632
     * feature mix 384->512        196,608                                196,608
     * classifier 512->10          5,120                                  5,130
     * total                       1,409,496                              469,802
     * </pre>
     */
    @Test
    void fmnistMinMatchesHandComputation() {
        SearchSpace s = SearchSpace.fmnist();
        CostModel.Cost c = new CostModel(s).cost(s.min());
        assertEquals(1_409_496L, c.macs());
        assertEquals(469_802L, c.params());
        // peak: block s0b1 at 10 px holds its input (16x10x10) and expand output (48x10x10): 6,400 floats
        assertEquals(6_400L * 4, c.peakActivationBytes());
    }

    @Test
    void ofaSpaceMatchesTheReferenceImplementation() {
        // Figures printed by OFA's count_net_flops / count_parameters (10 classes), see shared notes.
        SearchSpace s32 = SearchSpace.ofaMbv3W10(3, 10, List.of(32));
        CostModel m32 = new CostModel(s32);
        assertEquals(15.198, m32.cost(s32.max()).mmacs(), 0.0005);
        assertEquals(6.397, m32.cost(s32.max()).mparams(), 0.0005);
        assertEquals(3.935, m32.cost(s32.min()).mmacs(), 0.0005);
        assertEquals(2.143, m32.cost(s32.min()).mparams(), 0.0005);
        SearchSpace s224 = SearchSpace.ofaMbv3W10(3, 10, List.of(224));
        CostModel m224 = new CostModel(s224);
        assertEquals(564.90, m224.cost(s224.max()).mmacs(), 0.005);
        assertEquals(120.01, m224.cost(s224.min()).mmacs(), 0.005);
    }

    @Test
    void randomConfigsMatchAnIndependentCalculator() {
        SplittableRandom rng = new SplittableRandom(9);
        for (SearchSpace s : List.of(SearchSpace.fmnist(), SearchSpace.ofaMbv3W10(3, 1000, List.of(128, 160, 224)))) {
            CostModel m = new CostModel(s);
            for (int i = 0; i < 300; i++) {
                ArchConfig a = s.sample(rng);
                long[] expected = Independent.macsAndParams(s, a);
                CostModel.Cost c = m.cost(a);
                assertEquals(expected[0], c.macs(), a.key());
                assertEquals(expected[1], c.params(), a.key());
            }
        }
    }

    @Test
    void costsGrowWithEveryElasticDimension() {
        SearchSpace s = SearchSpace.fmnist();
        CostModel m = new CostModel(s);
        long base = m.macs(s.uniform(3, 3, 2, 24));
        assertTrue(m.macs(s.uniform(5, 3, 2, 24)) > base);
        assertTrue(m.macs(s.uniform(3, 4, 2, 24)) > base);
        assertTrue(m.macs(s.uniform(3, 3, 3, 24)) > base);
        assertTrue(m.macs(s.uniform(3, 3, 2, 28)) > base);
        assertEquals(m.params(s.uniform(3, 3, 2, 20)), m.params(s.uniform(3, 3, 2, 28)), "params do not depend on resolution");
    }

    /** A second calculation written from the paper's description, with its own width rules. */
    private static final class Independent {
        static int div8(double v) {
            int r = Math.max(8, ((int) (v + 4)) / 8 * 8);
            return r < 0.9 * v ? r + 8 : r;
        }

        static long[] macsAndParams(SearchSpace s, ArchConfig a) {
            long macs = 0;
            long params = 0;
            int r = a.resolution();
            int c = div8(s.stemBaseWidth() * s.widthMult());
            int rOut = (r + s.stemStride() - 1) / s.stemStride();
            macs += (long) rOut * rOut * 9 * s.inChannels() * c;
            params += 9L * s.inChannels() * c + 2L * c;
            r = rOut;
            // first block: depthwise 3x3 on c channels, project to firstBlock width
            int fb = div8(s.firstBlockBaseWidth() * s.widthMult());
            macs += (long) r * r * 9 * c + (long) r * r * c * fb;
            params += 9L * c + 2L * c + (long) c * fb + 2L * fb;
            c = fb;
            int maxD = s.depths().get(s.depths().size() - 1);
            for (int st = 0; st < s.stages().size(); st++) {
                StageSpec spec = s.stages().get(st);
                int out = div8(spec.baseWidth() * s.widthMult());
                for (int j = 0; j < a.depths().get(st); j++) {
                    BlockChoice b = a.blocks().get(st * maxD + j);
                    int stride = j == 0 ? spec.stride() : 1;
                    int h = div8(Math.round((double) c * b.expand()));
                    int ro = (r + stride - 1) / stride;
                    macs += (long) r * r * c * h; // expand at input size
                    macs += (long) ro * ro * b.kernel() * b.kernel() * h; // depthwise at output size
                    macs += (long) ro * ro * h * out; // project
                    params += (long) c * h + 2L * h + (long) b.kernel() * b.kernel() * h + 2L * h + (long) h * out + 2L * out;
                    if (spec.se()) {
                        int se = div8(h / 4);
                        macs += 2L * h * se;
                        params += 2L * h * se + se + h;
                    }
                    c = out;
                    r = ro;
                }
            }
            int fe = div8(s.finalExpandBaseWidth() * s.widthMult());
            int fm = div8(s.featureMixBaseWidth() * s.widthMult());
            macs += (long) r * r * c * fe + (long) fe * fm + (long) fm * s.numClasses();
            params += (long) c * fe + 2L * fe + (long) fe * fm + (long) fm * s.numClasses() + s.numClasses();
            return new long[] {macs, params};
        }
    }
}
