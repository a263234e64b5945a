ARG BASE=alpine:latest
FROM $BASE AS build
RUN echo build
FROM alpine:3.20 AS build
COPY --from=build /a /b
FROM build AS final
COPY a b /dest
ENTRYPOINT ["a"]
ENTRYPOINT ["b"]
CMD ["x"]
CMD ["y"]
EXPOSE 70000
USER 0
