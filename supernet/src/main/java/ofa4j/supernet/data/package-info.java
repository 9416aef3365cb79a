/** Data sets: in-memory image sets, Fashion-MNIST and image-folder readers, batching. */
package ofa4j.supernet.data;
