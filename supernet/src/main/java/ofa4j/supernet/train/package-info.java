/**
 * Progressive-shrinking training of the OFA supernet (Cai et al., ICLR 2020): the schedule as data
 * ({@link ofa4j.supernet.train.Phase}), presets ({@link ofa4j.supernet.train.TrainingPreset}), a
 * manual Nesterov SGD that updates only the parameters a step used, knowledge distillation from a
 * frozen teacher, resumable checkpoints ({@link ofa4j.supernet.train.Checkpoint}) and a per-epoch
 * metrics log.
 */
package ofa4j.supernet.train;
