package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.supernet.Evaluator;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.ImageSet;
import org.junit.jupiter.api.Test;

/** Accuracy measured on the exported ONNX model in ONNX Runtime equals DJL's, image for image. */
class OnnxAccuracyTest {

    @Test
    void onnxRuntimeCountsTheSameCorrectImagesAsDjl() {
        SearchSpace space = SupernetScorerTest.tiny();
        ImageSet train = SupernetScorerTest.images("train", 200, 1);
        ImageSet val = SupernetScorerTest.images("val", 300, 2);
        float[] mean = train.channelMean();
        float[] std = train.channelStd(mean);
        Set<Double> seen = new HashSet<>();
        try (Supernet net = Supernet.create(space, 5)) {
            SplittableRandom rng = new SplittableRandom(9);
            for (int i = 0; i < 4; i++) {
                ArchConfig arch = i == 0 ? space.max() : space.sample(rng);
                Subnet s = net.extractCalibrated(arch, train, 200, mean, std, 7);
                double djl = Evaluator.top1(s, val, mean, std, 64);
                // a batch size that does not divide the set: the last batch is partial
                double ort = OnnxAccuracy.top1(s, val, mean, std, 128);
                assertEquals(djl * val.size(), ort * val.size(), 1e-9, arch.key());
                assertTrue(ort >= 0 && ort <= 1);
                seen.add(ort);
            }
        }
        assertTrue(seen.size() >= 2, "different subnets score differently: " + seen);
    }

    @Test
    void refusesAnEmptySetAndABadBatch() {
        SearchSpace space = SupernetScorerTest.tiny();
        ImageSet train = SupernetScorerTest.images("train", 50, 1);
        float[] mean = train.channelMean();
        float[] std = train.channelStd(mean);
        try (Supernet net = Supernet.create(space, 5)) {
            Subnet s = net.extractCalibrated(space.min(), train, 50, mean, std, 7);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OnnxAccuracy.top1(s, train, mean, std, 0));
            assertTrue(e.getMessage().contains("batchSize must be >= 1, found 0"), e.getMessage());
            ImageSet empty = train.head(0);
            e = assertThrows(IllegalArgumentException.class, () -> OnnxAccuracy.top1(s, empty, mean, std, 10));
            assertTrue(e.getMessage().contains("is empty"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Evaluator.countCorrect(new float[7], 10, new int[] {1}));
        assertTrue(e.getMessage().contains("7 values for 1 labels of 10 classes"), e.getMessage());
    }
}
