package ofa4j.spark;

import java.io.IOException;
import java.nio.file.Path;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyDatasetBuilder;
import ofa4j.predictor.PredictorStage;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.TestSpaces;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.data.ImageSet;

/**
 * The fixture of the Spark tests: an untrained tiny supernet with random weights saved as a
 * parameter file, random 16 px images, and the in-process accuracy table to compare with.
 */
final class TinyTable {

    static final long NET_SEED = 7;
    static final long TABLE_SEED = 11;
    static final int CALIBRATION_IMAGES = 100;

    final SearchSpace space = TestSpaces.tinyFmnist();
    final DataSplits data;
    final SupernetFile file;

    TinyTable(Path dir) throws IOException {
        ImageSet train = TestSpaces.randomSet(300, 1, 16, 10, 1);
        ImageSet val = TestSpaces.randomSet(120, 1, 16, 10, 2);
        float[] mean = train.channelMean();
        data = new DataSplits(train, val, val, mean, train.channelStd(mean));
        Path params = dir.resolve("params.bin");
        try (Supernet net = Supernet.create(space, NET_SEED)) {
            // random BN statistics and affine weights: subnets then differ in accuracy
            TestSpaces.randomize(net, NET_SEED + 1);
            net.saveParameters(params);
        }
        file = SupernetFile.of(params, space, NET_SEED);
    }

    /**
     * Builds the table in-process, as {@code ofa predictor fit} does without {@code --spark}.
     *
     * @param table the file
     * @param samples subnets
     * @return the result
     */
    AccuracyDatasetBuilder.Result inProcess(Path table, int samples) throws IOException {
        try (Supernet net = file.open("the test")) {
            return PredictorStage.accuracyTable(net, data, table, samples, CALIBRATION_IMAGES, TABLE_SEED, true);
        }
    }

    /**
     * The Spark job on this fixture.
     *
     * @param sc the context
     * @param table the file
     * @param samples subnets
     * @return a configured builder
     */
    SparkAccuracyTable.Builder onSpark(org.apache.spark.api.java.JavaSparkContext sc, Path table, int samples) {
        return SparkAccuracyTable.builder().setContext(sc).setSupernet(file).setData(data).setFile(table)
                .optSamples(samples).optCalibrationImages(CALIBRATION_IMAGES).optSeed(TABLE_SEED).optQuiet(true);
    }
}
