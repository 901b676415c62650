package io.syncline.streams.mongo;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * The driver's publishers as futures, for calls that answer one document (commands) or a short list
 * (database and collection names, a test's or the demo's own writes). Streams of documents go through
 * {@code Source.fromPublisher}.
 */
public final class MongoCalls {

  private MongoCalls() {}

  /** The first element ({@code null} when there is none); cancels the rest. */
  public static <T> CompletionStage<T> first(Publisher<T> publisher) {
    CompletableFuture<T> result = new CompletableFuture<>();
    publisher.subscribe(new Subscriber<T>() {
      private Subscription subscription;

      @Override
      public void onSubscribe(Subscription s) {
        subscription = s;
        s.request(1);
      }

      @Override
      public void onNext(T t) {
        result.complete(t);
        subscription.cancel();
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onComplete() {
        result.complete(null);
      }
    });
    return result;
  }

  /** Every element, for short answers only (names). */
  public static <T> CompletionStage<List<T>> all(Publisher<T> publisher) {
    CompletableFuture<List<T>> result = new CompletableFuture<>();
    List<T> items = new ArrayList<>();
    publisher.subscribe(new Subscriber<T>() {
      @Override
      public void onSubscribe(Subscription s) {
        s.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(T t) {
        items.add(t);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onComplete() {
        result.complete(items);
      }
    });
    return result;
  }
}
