package ofa4j.spark;

import java.io.Serializable;
import ofa4j.slicer.IndependentFleet;
import ofa4j.supernet.data.DataSplits;

/**
 * What every task of a fleet job needs besides its targets, broadcast once to each executor: the
 * supernet file, the data splits (BN recalibration and INT8 calibration read the training split,
 * candidates the validation split, delivered slices the test split too), the fleet's inputs
 * (predictor, device profiles, loop settings) and the PyTorch thread count.
 *
 * @param supernet the parameter file every worker reads
 * @param train the training split
 * @param val the validation split
 * @param test the test split
 * @param mean per-channel input mean
 * @param std per-channel input standard deviation
 * @param fleet the fleet's inputs
 * @param torchThreads PyTorch intra-op threads of a task (the BN recalibration's, as in-process)
 * @param onnxThreads ONNX Runtime intra-op threads of a task's accuracy measurements
 */
record FleetTaskInputs(SupernetFile supernet, TableTaskInputs.Images train, TableTaskInputs.Images val,
        TableTaskInputs.Images test, float[] mean, float[] std, IndependentFleet.Inputs fleet, int torchThreads,
        int onnxThreads)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    static FleetTaskInputs of(SupernetFile supernet, DataSplits data, IndependentFleet.Inputs fleet, int torchThreads,
            int onnxThreads) {
        return new FleetTaskInputs(supernet, TableTaskInputs.Images.of(data.train()), TableTaskInputs.Images.of(data.val()),
                TableTaskInputs.Images.of(data.test()), data.mean(), data.std(), fleet, torchThreads, onnxThreads);
    }

    DataSplits data() {
        return new DataSplits(train.toImageSet(), val.toImageSet(), test.toImageSet(), mean, std);
    }
}
